"""Every way the hub refuses a message, each with a stable machine code and HTTP status.

Codes are ``<stage>.<reason>``, lowercase, never changed or reused; partners
program against them. The stages follow the ingest pipeline (ARCHITECTURE §4)::

    HubError
    ├── Rejection            a message (or request) we refuse: recorded, never stored as accepted
    │                        code from REJECTION_CODES: auth.* xml.* envelope.* signature.*
    │                        schema.* payload.* referral.* replay.* routing.* consent.*
    │                        request.*
    │   └── OperationRefused an operator's operation (pause, cancel, replay) or a step of an
    │                        evidence request refused: ops.* evidence.*
    ├── NotFound             an id the caller asked for does not exist (or is not theirs):
    │                        answered as ``request.not_found``
    └── BodyArchived         a message's body was moved to an archive file that cannot be
                             read here (absent, sealed without the key, or altered)

Besides refusals, an accepted message's receipt may list case conflicts (``case.*``,
CASE_CONFLICT_CODES): accepted and delivered, but not applied to its case. ``CODES`` is
the whole catalogue; ``docs/partners/codes.md`` is generated from it
(``python -m hub.api.codes``). Programmer errors stay ``RuntimeError``/``TypeError`` and
become a 500.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Final


class Stage(Enum):
    """Where a code is decided; the value is (Russian, English) for the code reference."""

    AUTHENTICATION = ("аутентификация", "authentication")
    PEOPLE = ("вход сотрудников", "people")
    XML = ("XML", "XML")
    ENVELOPE = ("конверт", "envelope")
    SIGNATURE = ("подпись", "signature")
    PAYLOAD = ("содержимое", "payload")
    REFERRAL = ("сообщение о семье", "referral")
    REPLAY = ("повтор и свежесть", "replay")
    AUTHORISATION = ("полномочия", "authorisation")
    ROUTING = ("маршрутизация", "routing")
    CONSENT = ("согласие семьи", "family consent")
    REQUEST = ("запрос", "request")
    OPERATIONS = ("операции администратора", "operations")
    CASE = ("дело (конфликт в квитанции)", "case (conflict in the receipt)")

    @property
    def ru(self) -> str:
        return self.value[0]

    @property
    def en(self) -> str:
        return self.value[1]


class PartnerAction(Enum):
    """What the caller should do after a code; the value is (Russian, English)."""

    FIX_AND_RESEND = (
        "Исправьте сообщение, подпишите его заново и отправьте как новое.",
        "Fix the message, sign it again and send it as a new one.",
    )
    CHECK_API_KEY = (
        "Проверьте API-ключ (`Authorization: Bearer`, после смены ключа — новый) и отправьте "
        "те же байты снова.",
        "Check the API key (`Authorization: Bearer`; the new one after a rotation) and send "
        "the same bytes again.",
    )
    RESEND_LATER = (
        "Отправьте те же байты позже (не раньше `Retry-After`, если он указан).",
        "Send the same bytes again later (not before `Retry-After` where given).",
    )
    CHECK_CLOCK = (
        "Сверьте часы системы (NTP); те же байты будут приняты, когда CreatedAt перестанет "
        "опережать часы узла больше допустимого.",
        "Check the system's clock (NTP); the same bytes are accepted once CreatedAt is no "
        "longer ahead of the hub's clock by more than allowed.",
    )
    CONTACT_OPERATOR = (
        "Обратитесь к оператору узла: исправить это может только он (регистрация, "
        "сертификаты, правила маршрутизации).",
        "Contact the hub's operator: only they can change this (registration, certificates, "
        "routing rules).",
    )
    DO_NOTHING_DUPLICATE = (
        "Ничего не делайте: это сообщение уже принято (`hub_id` в ответе), повторная "
        "отправка не нужна.",
        "Do nothing: this message was already accepted (`hub_id` in the answer); no resend "
        "is needed.",
    )
    NEW_MESSAGE_ID = (
        "Отправьте сообщение заново под новым MessageId (новый случайный UUID) и подпишите "
        "его заново: этот MessageId занят сообщением другого отправителя, ваше не принято.",
        "Send the message again under a new MessageId (a fresh random UUID), signed again: "
        "another sender's message holds this one, and yours was not accepted.",
    )
    FIX_REQUEST = (
        "Исправьте запрос (адрес, параметры, тело) и повторите его.",
        "Fix the request (URL, parameters, body) and repeat it.",
    )
    LOG_IN = (
        "Войдите заново (`POST /api/v1/session`) и повторите запрос с новым токеном.",
        "Log in again (`POST /api/v1/session`) and repeat the request with the new token.",
    )
    CHECK_STATE = (
        "Операция ничего не изменила: проверьте текущее состояние и повторите, только если "
        "она ещё нужна.",
        "The operation changed nothing: check the current state and repeat it only if it is "
        "still needed.",
    )
    REFER_ELSEWHERE = (
        "Узел не обслуживает регион из адреса семьи: передайте сообщение органам того региона "
        "в принятом там порядке. Если регион в адресе указан неверно, исправьте адрес и "
        "отправьте сообщение как новое.",
        "The hub does not serve the region of the family's address: pass the referral to "
        "that region's bodies as they take it. If the address names the wrong region, fix it "
        "and send the message as a new one.",
    )
    RECORD_CONSENT = (
        "Сошлитесь в ConsentRef на действующее согласие этой семьи, переданное узлу "
        "(ConsentRecord со статусом given и неистёкшим сроком), подпишите сообщение заново и "
        "отправьте как новое; без согласия передавайте только то, что закон разрешает без него.",
        "Name in ConsentRef a consent of this family in force that the hub has (a ConsentRecord "
        "with status given, not expired), sign the message again and send it as a new one; "
        "without consent send only what the law allows without it.",
    )
    RECONCILE_CASE = (
        "Повторять не нужно: сообщение принято и доставлено, но не применено к делу; "
        "сначала отправьте то, чего не хватает делу, или согласуйте с владельцем дела.",
        "Do not resend: the message was accepted and delivered but not applied to its case; "
        "first send what the case lacks, or settle it with the case owner.",
    )

    @property
    def ru(self) -> str:
        return self.value[0]

    @property
    def en(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class RejectionKind:
    """One code of the catalogue: what it means and what the caller should do.

    ``title`` is English (the problem document's ``title``), ``title_ru`` Russian.
    ``resend_can_succeed``: whether the same bytes (the same request) sent again,
    unchanged, can be accepted — later, with the right key, or after the operator acted.
    """

    status: int
    title: str
    title_ru: str
    stage: Stage
    action: PartnerAction
    resend_can_succeed: bool


_S = Stage
_A = PartnerAction

#: The refusals. Titles are shown to partner engineers; details never hold personal data.
REJECTION_CODES: Final[dict[str, RejectionKind]] = {
    # Who is calling
    "auth.missing_credentials": RejectionKind(
        401,
        "No API key was presented",
        "API-ключ не предъявлен",
        _S.AUTHENTICATION,
        _A.CHECK_API_KEY,
        True,
    ),
    "auth.invalid_credentials": RejectionKind(
        401,
        "The API key is not valid",
        "API-ключ недействителен",
        _S.AUTHENTICATION,
        _A.CHECK_API_KEY,
        True,
    ),
    "auth.metrics_token_unset": RejectionKind(
        403,
        "Metrics are refused until the hub's operator sets HUB_METRICS_TOKEN",
        "Метрики недоступны, пока оператор узла не задал HUB_METRICS_TOKEN",
        _S.AUTHENTICATION,
        _A.CONTACT_OPERATOR,
        True,
    ),
    "auth.partner_inactive": RejectionKind(
        403,
        "The partner system is disabled",
        "Система партнёра отключена",
        _S.AUTHENTICATION,
        _A.CONTACT_OPERATOR,
        True,
    ),
    "auth.rate_limited": RejectionKind(
        429,
        "Too many messages a second from this partner",
        "Слишком много сообщений в секунду от этой системы",
        _S.AUTHENTICATION,
        _A.RESEND_LATER,
        True,
    ),
    "auth.sender_mismatch": RejectionKind(
        403,
        "Sender differs from the authenticated partner",
        "Sender не совпадает с системой, предъявившей ключ",
        _S.AUTHORISATION,
        _A.CHECK_API_KEY,
        True,
    ),
    "auth.not_case_owner": RejectionKind(
        403,
        "The partner system owns the cases of no region (the attention feed is for the owner)",
        "Система партнёра не ведёт дела ни одного региона (лента «требует внимания» — для "
        "владельца дел региона)",
        _S.AUTHORISATION,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "auth.type_not_allowed": RejectionKind(
        403,
        "The sender may not send this message type",
        "Отправителю не разрешён этот тип сообщения",
        _S.AUTHORISATION,
        _A.CONTACT_OPERATOR,
        True,
    ),
    # Who is signed in (people: pages and their JSON API)
    "auth.login_refused": RejectionKind(
        401,
        "Wrong login or password",
        "Неверный логин или пароль",
        _S.PEOPLE,
        _A.FIX_REQUEST,
        False,
    ),
    "auth.login_throttled": RejectionKind(
        429,
        "Too many failed logins; retry later",
        "Слишком много неудачных входов; повторите позже",
        _S.PEOPLE,
        _A.RESEND_LATER,
        True,
    ),
    "auth.session_required": RejectionKind(
        401,
        "No valid session; log in first",
        "Нет действующей сессии; войдите",
        _S.PEOPLE,
        _A.LOG_IN,
        False,
    ),
    "auth.csrf_invalid": RejectionKind(
        403,
        "The form's CSRF token does not match the session",
        "CSRF-токен формы не совпадает с сессией",
        _S.PEOPLE,
        _A.FIX_REQUEST,
        False,
    ),
    "auth.role_forbidden": RejectionKind(
        403,
        "The person's role may not do this",
        "Роли сотрудника это не разрешено",
        _S.PEOPLE,
        _A.CONTACT_OPERATOR,
        False,
    ),
    # Bytes and XML
    "xml.too_large": RejectionKind(
        413,
        "The message exceeds the size limit",
        "Сообщение больше допустимого размера",
        _S.XML,
        _A.FIX_AND_RESEND,
        False,
    ),
    "xml.malformed": RejectionKind(
        400,
        "The body is not well-formed XML",
        "Тело — не правильно построенный XML",
        _S.XML,
        _A.FIX_AND_RESEND,
        False,
    ),
    "xml.too_deep": RejectionKind(
        400,
        "The XML nests deeper than allowed",
        "Вложенность XML глубже допустимой",
        _S.XML,
        _A.FIX_AND_RESEND,
        False,
    ),
    "xml.too_complex": RejectionKind(
        400,
        "The XML has too many elements or attributes",
        "В XML слишком много элементов или атрибутов",
        _S.XML,
        _A.FIX_AND_RESEND,
        False,
    ),
    "xml.forbidden_construct": RejectionKind(
        400,
        "DOCTYPE, entity, processing instruction, comment or XInclude found",
        "Найдены DOCTYPE, сущность, инструкция обработки, комментарий или XInclude",
        _S.XML,
        _A.FIX_AND_RESEND,
        False,
    ),
    "envelope.invalid": RejectionKind(
        422,
        "The envelope does not match its schema",
        "Конверт не соответствует своей схеме",
        _S.ENVELOPE,
        _A.FIX_AND_RESEND,
        False,
    ),
    # Signature
    "signature.missing": RejectionKind(
        401,
        "The message is not signed",
        "Сообщение не подписано",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.profile_violation": RejectionKind(
        400,
        "The signature does not follow the hub's signature profile",
        "Подпись не следует профилю подписи узла",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.algorithm_not_allowed": RejectionKind(
        400,
        "The signature algorithm is not one this hub is configured to accept",
        "Алгоритм подписи не принимается этим узлом (регион настроен на другие алгоритмы)",
        _S.SIGNATURE,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "signature.key_size_not_allowed": RejectionKind(
        400,
        "GOST R 34.10-2012 512-bit signatures are not accepted here, only 256-bit",
        "Подпись ГОСТ Р 34.10-2012 с ключом 512 бит не принимается, только 256 бит",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.algorithm_mismatch": RejectionKind(
        400,
        "SignatureMethod, DigestMethod and the certificate's key are not one algorithm",
        "SignatureMethod, DigestMethod и ключ сертификата относятся к разным алгоритмам",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.certificate_not_gost": RejectionKind(
        400,
        "A GOST signature with a certificate whose key is not GOST R 34.10-2012",
        "Подпись по ГОСТ, но ключ сертификата не ГОСТ Р 34.10-2012",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.invalid": RejectionKind(
        401,
        "The signature value does not verify",
        "Значение подписи не сходится",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.digest_mismatch": RejectionKind(
        401,
        "The content changed after signing",
        "Содержимое изменено после подписания",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.untrusted": RejectionKind(
        403,
        "The signing certificate is not trusted",
        "Сертификат подписи не доверенный",
        _S.SIGNATURE,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "signature.expired": RejectionKind(
        403,
        "The signing certificate is not valid now",
        "Сертификат подписи сейчас не действует",
        _S.SIGNATURE,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "signature.revoked": RejectionKind(
        403,
        "The signing certificate is revoked",
        "Сертификат подписи отозван",
        _S.SIGNATURE,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "signature.signer_not_sender": RejectionKind(
        403,
        "The signing certificate does not belong to the envelope's Sender",
        "Сертификат подписи принадлежит не отправителю (Sender) конверта",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    "signature.certificate_unknown": RejectionKind(
        403,
        "The signing certificate is not one the Sender registered with the hub",
        "Сертификат подписи не зарегистрирован на узле за этим отправителем",
        _S.SIGNATURE,
        _A.CONTACT_OPERATOR,
        True,
    ),
    "signature.certificate_retired": RejectionKind(
        403,
        "The signing certificate was replaced and its overlap has ended",
        "Сертификат подписи заменён, и срок параллельного действия истёк",
        _S.SIGNATURE,
        _A.FIX_AND_RESEND,
        False,
    ),
    # Payload
    "schema.unknown_type": RejectionKind(
        422,
        "Unknown message type",
        "Неизвестный тип сообщения",
        _S.PAYLOAD,
        _A.FIX_AND_RESEND,
        False,
    ),
    "schema.unsupported_version": RejectionKind(
        422,
        "Unsupported schema version",
        "Версия схемы не поддерживается",
        _S.PAYLOAD,
        _A.FIX_AND_RESEND,
        False,
    ),
    "payload.invalid": RejectionKind(
        422,
        "The payload does not match its schema",
        "Содержимое не соответствует своей схеме",
        _S.PAYLOAD,
        _A.FIX_AND_RESEND,
        False,
    ),
    # What the payload says
    "referral.region_not_served": RejectionKind(
        422,
        "The family's address is in a region the hub does not serve",
        "Регион из адреса семьи узлом не обслуживается",
        _S.REFERRAL,
        _A.REFER_ELSEWHERE,
        False,
    ),
    # Replay
    "replay.duplicate": RejectionKind(
        409,
        "A message with this MessageId was already accepted",
        "Сообщение с этим MessageId уже принято",
        _S.REPLAY,
        _A.DO_NOTHING_DUPLICATE,
        False,
    ),
    "replay.message_id_taken": RejectionKind(
        409,
        "Another sender already used this MessageId; MessageIds are global: use a new UUID",
        "Этот MessageId уже использован другим отправителем; MessageId уникален во всём узле: "
        "используйте новый UUID",
        _S.REPLAY,
        _A.NEW_MESSAGE_ID,
        False,
    ),
    "replay.stale": RejectionKind(
        422,
        "CreatedAt is older than the freshness window",
        "CreatedAt старше допустимого окна свежести",
        _S.REPLAY,
        _A.FIX_AND_RESEND,
        False,
    ),
    "replay.future": RejectionKind(
        422,
        "CreatedAt is in the future",
        "CreatedAt в будущем",
        _S.REPLAY,
        _A.CHECK_CLOCK,
        True,
    ),
    # Routing
    "routing.unknown_correlation": RejectionKind(
        422,
        "CorrelationId names no message the hub has",
        "CorrelationId не указывает ни на одно сообщение узла",
        _S.ROUTING,
        _A.FIX_AND_RESEND,
        False,
    ),
    "routing.recipient_not_allowed": RejectionKind(
        403,
        "An explicit recipient may not receive this message type",
        "Указанному получателю нельзя получать этот тип сообщения",
        _S.ROUTING,
        _A.FIX_AND_RESEND,
        False,
    ),
    "routing.no_recipients": RejectionKind(
        422,
        "No recipient is left for this message",
        "Для сообщения не осталось получателей",
        _S.ROUTING,
        _A.FIX_AND_RESEND,
        False,
    ),
    "routing.case_region_unknown": RejectionKind(
        422,
        "CaseRef names no case the hub has and carries no served region's prefix",
        "CaseRef не называет ни одного дела узла, и префикс номера не принадлежит ни одному "
        "обслуживаемому региону",
        _S.ROUTING,
        _A.FIX_AND_RESEND,
        False,
    ),
    # The HTTP request itself (any route)
    "request.invalid": RejectionKind(
        422,
        "Invalid request",
        "Неверный запрос",
        _S.REQUEST,
        _A.FIX_REQUEST,
        False,
    ),
    "request.not_found": RejectionKind(
        404,
        "Not found",
        "Не найдено",
        _S.REQUEST,
        _A.FIX_REQUEST,
        False,
    ),
    "request.curator_not_assignable": RejectionKind(
        422,
        "The account cannot curate this case",
        "Эта учётная запись не может быть куратором дела",
        _S.REQUEST,
        _A.FIX_REQUEST,
        False,
    ),
    "routing.executor_unnamed": RejectionKind(
        422,
        "An action names an agency served by its organisations; name the organisation",
        "Исполнителем указано ведомство, подключённое через свои организации: укажите код "
        "организации",
        _S.ROUTING,
        _A.FIX_AND_RESEND,
        False,
    ),
    # The family's consent (hub/ingest/consent.py; the rules in hub/regions/<region>.yaml)
    "consent.required": RejectionKind(
        422,
        "The region requires a ConsentRef on this message type",
        "Для этого типа сообщения регион требует ссылку на согласие семьи (ConsentRef)",
        _S.CONSENT,
        _A.RECORD_CONSENT,
        False,
    ),
    "consent.unknown": RejectionKind(
        422,
        "ConsentRef names no consent the hub has recorded",
        "ConsentRef не указывает ни на одно согласие, переданное узлу",
        _S.CONSENT,
        _A.RECORD_CONSENT,
        True,
    ),
    "consent.other_family": RejectionKind(
        422,
        "ConsentRef names another family's consent",
        "ConsentRef указывает на согласие другой семьи",
        _S.CONSENT,
        _A.RECORD_CONSENT,
        False,
    ),
    "consent.refused": RejectionKind(
        422,
        "ConsentRef names a consent the family refused",
        "ConsentRef указывает на отказ семьи от согласия",
        _S.CONSENT,
        _A.RECORD_CONSENT,
        False,
    ),
    "consent.withdrawn": RejectionKind(
        422,
        "ConsentRef names a consent the family withdrew",
        "ConsentRef указывает на согласие, которое семья отозвала",
        _S.CONSENT,
        _A.RECORD_CONSENT,
        False,
    ),
    "consent.expired": RejectionKind(
        422,
        "ConsentRef names a consent past its ValidUntil",
        "Срок согласия, на которое указывает ConsentRef, истёк",
        _S.CONSENT,
        _A.RECORD_CONSENT,
        False,
    ),
    # Operations (administrators steering delivery; hub/operations.py)
    "ops.unknown_partner": RejectionKind(
        404,
        "No partner system with this code",
        "Нет системы партнёра с этим кодом",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    "ops.unknown_delivery": RejectionKind(
        404,
        "No delivery with this id",
        "Нет доставки с этим номером",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    "ops.not_dead": RejectionKind(
        409,
        "Only a dead delivery can be replayed",
        "Повторить можно только доставку, которая не удалась",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    "ops.already_final": RejectionKind(
        409,
        "The delivery is already delivered or cancelled",
        "Доставка уже выполнена или отменена",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    "ops.reason_required": RejectionKind(
        422,
        "The operation needs a reason",
        "Для операции нужно указать причину",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    "ops.already_paused": RejectionKind(
        409,
        "The partner is already paused",
        "Доставка партнёру уже приостановлена",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    "ops.not_paused": RejectionKind(
        409,
        "The partner is not paused",
        "Доставка партнёру не приостановлена",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    "ops.invalid_endpoint": RejectionKind(
        422,
        "Not an endpoint the partner's adapter delivers to (e.g. http(s) URL with a host)",
        "Адрес не подходит адаптеру партнёра (например, нужен http(s)-адрес с хостом)",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    # Bulk replays in chunks (hub/replays.py)
    "ops.unknown_batch": RejectionKind(
        404,
        "No bulk replay with this id",
        "Нет массового повтора с этим номером",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    "ops.batch_finished": RejectionKind(
        409,
        "The bulk replay has already finished or been stopped",
        "Массовый повтор уже завершён или остановлен",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    # Four eyes on unmasked evidence (hub/evidence_requests.py)
    "evidence.unknown_request": RejectionKind(
        404,
        "No evidence request with this id",
        "Нет запроса на выгрузку с этим номером",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    "evidence.self_approval": RejectionKind(
        403,
        "The requester cannot approve their own request; another auditor must",
        "Свой запрос утвердить нельзя: нужен другой аудитор",
        _S.OPERATIONS,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "evidence.not_pending": RejectionKind(
        409,
        "The request is not waiting for approval",
        "Запрос не ждёт утверждения",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    "evidence.not_approved": RejectionKind(
        409,
        "The request has not been approved by a second auditor",
        "Запрос ещё не утверждён вторым аудитором",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
    "evidence.not_requester": RejectionKind(
        403,
        "Only the auditor who made the request may download it",
        "Скачать пакет может только аудитор, сделавший запрос",
        _S.OPERATIONS,
        _A.CONTACT_OPERATOR,
        False,
    ),
    "evidence.expired": RejectionKind(
        410,
        "The approval has expired; request the export again",
        "Срок утверждения истёк; запросите выгрузку заново",
        _S.OPERATIONS,
        _A.FIX_REQUEST,
        False,
    ),
    "evidence.body_archived": RejectionKind(
        409,
        "The message's body is in an archive file the hub cannot read here",
        "Тело сообщения перенесено в архив, который узлу здесь недоступен",
        _S.OPERATIONS,
        _A.CONTACT_OPERATOR,
        True,
    ),
    "evidence.already_downloaded": RejectionKind(
        409,
        "The approved package has already been downloaded once",
        "Утверждённый пакет уже скачан",
        _S.OPERATIONS,
        _A.CHECK_STATE,
        False,
    ),
}

#: Case conflicts: the message was accepted (202) and delivered, and its receipt's
#: ``case_conflicts`` names why the case tracker did not apply it (hub/cases/projection.py).
CASE_CONFLICT_CODES: Final[dict[str, RejectionKind]] = {
    "case.referral_unknown": RejectionKind(
        202,
        "The receipt names no referral the hub has",
        "Подтверждение на неизвестное обращение",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
    "case.consent_missing": RejectionKind(
        202,
        "A decision before the consent the region requires",
        "Решение без согласия семьи, которого требует регион",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
    "case.plan_version_stale": RejectionKind(
        202,
        "The plan's version is not newer than the case's",
        "Версия плана не новее той, что уже в деле",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
    "case.action_unknown": RejectionKind(
        202,
        "The action is not in the case's plan",
        "Мероприятия нет в плане дела",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
    "case.action_not_executor": RejectionKind(
        202,
        "Another organisation of the agency executes this action",
        "Мероприятие исполняет другая организация того же ведомства",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
    "case.region_mismatch": RejectionKind(
        202,
        "The case number does not carry the prefix of the family's region",
        "Номер дела начинается не с префикса региона семьи",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
    "case.closed": RejectionKind(
        202,
        "The case is closed",
        "Дело снято с учёта",
        _S.CASE,
        _A.RECONCILE_CASE,
        False,
    ),
}

#: The whole catalogue: every code a partner or person can meet, refusal or case conflict.
CODES: Final[dict[str, RejectionKind]] = {**REJECTION_CODES, **CASE_CONFLICT_CODES}


class HubError(Exception):
    """Base of the hub's own errors."""


class Rejection(HubError):
    """A message we refuse: recorded with its code, never stored as accepted.

    ``detail`` is machine-made (ids, XPath, schema reasons), never element values.
    ``extra`` carries safe machine-readable facts for the problem document.
    """

    def __init__(self, code: str, detail: str = "", **extra: str | int) -> None:
        if code not in REJECTION_CODES:
            raise ValueError(f"unknown rejection code {code!r}; add it to REJECTION_CODES")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail or REJECTION_CODES[code].title
        self.extra = extra

    @property
    def status(self) -> int:
        return REJECTION_CODES[self.code].status

    @property
    def title(self) -> str:
        return REJECTION_CODES[self.code].title


class OperationRefused(Rejection):
    """An administrator's operation (pause, resume, cancel, replay) that changes nothing.

    Raised before anything is written: the caller's transaction may be committed or
    rolled back alike. ``detail`` names the ids, never personal data.
    """


class NotFound(HubError):
    """The id asked for does not exist, or the caller may not know that it does."""

    def __init__(self, what: str, ident: str | int) -> None:
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident


class BodyArchived(HubError):
    """A message's body is in archive ``archive_name`` and could not be read from it.

    ``searched`` is the folder looked in (None: no archive folder configured); ``reason``
    says what went wrong in Russian, for the administrators' pages and the command line.
    """

    def __init__(self, hub_id: int, archive_name: str, searched: str | None, reason: str) -> None:
        super().__init__(f"message {hub_id}: {reason}")
        self.hub_id = hub_id
        self.archive_name = archive_name
        self.searched = searched
        self.reason = reason
