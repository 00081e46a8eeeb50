"""Request dependencies of the partners' API, named as ``Annotated`` aliases: a session."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from hub.access import RuntimeDep


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
