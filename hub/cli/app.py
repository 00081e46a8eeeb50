"""The ``hub`` command-line application: sub-commands are registered here."""

import typer

from hub.cli import (
    bench,
    cases,
    chaos,
    db,
    deliveries,
    demo,
    dlq,
    evidence,
    log,
    messages,
    partners,
    people,
    pki,
    schemas,
    server,
    stats,
)

app = typer.Typer(
    name="hub",
    help="Interagency data-exchange hub for the social support of families with children.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(pki.app, name="pki")
app.add_typer(partners.app, name="partners")
app.add_typer(db.app, name="db")
app.add_typer(schemas.app, name="schemas")
app.add_typer(dlq.app, name="dlq")
app.add_typer(deliveries.app, name="deliveries")
app.add_typer(cases.app, name="cases")
app.add_typer(people.app, name="people")
app.command("serve")(server.serve)
app.command("worker")(server.worker)
app.command("send")(messages.send)
app.command("verify")(messages.verify)
app.command("verify-log")(log.verify_log)
app.command("demo")(demo.demo)
app.command("audit")(people.audit)
app.command("evidence")(evidence.evidence)
app.command("stats")(stats.stats)
app.command("chaos")(chaos.chaos)
app.command("bench")(bench.bench)


def main() -> None:
    app()
