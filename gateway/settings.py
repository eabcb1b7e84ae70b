"""The one settings object of the gateway (DESIGN.md 1 "one place per concern", 2 row "config").

Where settings come from, lowest priority first:

1. the defaults below;
2. one TOML file: ``--config``, else ``$VERZUIM_CONFIG``, else ``verzuim.toml`` in the current
   directory (a missing *default* file is fine: then only defaults and the environment count; a
   missing file that was asked for is an error). Relative paths in the file (``school``,
   ``duo.client_cert``, ``duo.client_key``, ``duo.trust_bundle``, every ``*_file`` and the file
   of a ``sqlite:///`` ``store_url``) are relative to the file itself, not to the working
   directory;
3. ``VERZUIM_*`` environment variables, nested with ``__``: ``VERZUIM_STORE_URL``,
   ``VERZUIM_DUO__ENDPOINT``, ``VERZUIM_LOGGING__LEVEL``. Relative paths given this way are
   relative to the working directory, as any path on a command line is;
4. keyword arguments, when ``Settings(...)`` is built directly (tests).

Secrets from files: the two values that can hold a secret have a ``*_file`` twin whose value is a
path; the secret is the file's content without its trailing newline (Docker/Kubernetes secrets):
``store_url_file`` (a PostgreSQL URL with a password; ``VERZUIM_STORE_URL_FILE``) and
``duo.client_key_password_file`` (the passphrase of an encrypted client key;
``VERZUIM_DUO__CLIENT_KEY_PASSWORD_FILE``). Giving a value and its ``*_file`` twin at once is an
error. The client key itself is always a file (``duo.client_key``). Secrets never appear in the
``repr`` of the settings or in a message.

``load_settings`` checks types, ranges and unknown keys (a typo is refused, as in the school file)
and turns every pydantic error into one readable ``ConfigError`` line naming the key and its
environment variable. ``check_settings`` then checks the world the settings point at, at start-up
(DOMAIN.md 3.4): files present and readable, the key matching the certificate, the certificate
valid now, the endpoint https, the OIN equal to the certificate's ``subject.serialNumber``, and
how many days the client certificate has left ("certificate expiry is the classic outage").
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from gateway.errors import ConfigError
from gateway.school import load_school

__all__ = [
    "DEFAULT_CONFIG",
    "ENV_PREFIX",
    "EXPIRY_WARNING_DAYS",
    "ApiSettings",
    "DuoSettings",
    "LoggingSettings",
    "Settings",
    "SettingsCheck",
    "SyncSchool",
    "SyncSettings",
    "SyncSource",
    "certificate_days_left",
    "check_settings",
    "load_settings",
]

DEFAULT_CONFIG = Path("verzuim.toml")
ENV_PREFIX = "VERZUIM_"
ENV_CONFIG = "VERZUIM_CONFIG"
EXPIRY_WARNING_DAYS = 30
"""``check_settings`` warns when the client certificate has fewer days left than this."""

_OIN = re.compile(r"[0-9A-Z]{20}")  # 20 positions; an OIN of prefix 00000007 carries a BRIN
_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+[a-z0-9_]+)?):///(?P<rest>.*)", re.IGNORECASE)


class DuoSettings(BaseModel):
    """``[duo]``: the transport to DUO (DOMAIN.md 3.4) and the retry policy (DESIGN.md 2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoint: str = "https://127.0.0.1:8443/verzuim/v1"
    client_cert: Path = Path("pki/client.pem")
    client_key: Path = Path("pki/client-key.pem")
    client_key_password: SecretStr | None = None
    client_key_password_file: Path | None = None
    trust_bundle: Path = Path("pki/ca.pem")
    oin: str = ""
    timeout_seconds: float = Field(default=30.0, gt=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=64)
    max_attempts: int = Field(default=3, ge=1, le=10)
    retry_backoff_seconds: float = Field(default=60.0, gt=0)
    retry_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    lease_seconds: float = Field(default=300.0, gt=0)
    # Digikoppeling profile (DOMAIN.md 3.4; gateway/duo/wssecurity.py): 2W-be = TLS only,
    # 2W-be-S = also WS-Security, answers verified against the pinned DUO certificate.
    profiel: Literal["2W-be", "2W-be-S"] = "2W-be"
    duo_cert: Path | None = None
    timestamp_seconds: float = Field(default=300.0, ge=10, le=3600)
    clock_skew_seconds: float = Field(default=60.0, ge=0, le=600)
    crl_file: Path | None = None

    @model_validator(mode="before")
    @classmethod
    def _password_from_file(cls, data: Any) -> Any:
        return _secret_from_file(data, "client_key_password")

    @model_validator(mode="after")
    def _backoff_order(self) -> DuoSettings:
        if self.retry_backoff_max_seconds < self.retry_backoff_seconds:
            raise ValueError("retry_backoff_max_seconds moet minstens retry_backoff_seconds zijn")
        if self.profiel == "2W-be-S" and self.duo_cert is None:
            raise ValueError(
                "duo.duo_cert: verplicht bij profiel 2W-be-S (het vastgepinde DUO-certificaat)"
            )
        return self


class ApiSettings(BaseModel):
    """``[api]``: the HTTP API of ``verzuim serve`` (issue 6)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_body_bytes: int = Field(default=10_485_760, ge=1024)
    page_size: int = Field(default=100, ge=1, le=1000)
    idempotency_hours: float = Field(default=24.0, gt=0)
    ready_timeout_seconds: float = Field(default=3.0, gt=0)


SyncAdapter = Literal["auto", "canonical", "magister", "somtoday", "eduarte", "dagverzuim"]


class SyncSource(BaseModel):
    """One source of a school's exports for ``verzuim sync``: a drop folder (every file in it is
    read, then moved to ``verwerkt/<run>/``) or fixed files (read every run, never moved)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adapter: SyncAdapter = "auto"
    drop: Path | None = None
    files: list[Path] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_kind(self) -> SyncSource:
        if (self.drop is None) == (not self.files):
            raise ValueError("geef per bron drop (een map) of files (een lijst bestanden)")
        return self


class SyncSchool(BaseModel):
    """``[[sync.schools]]``: one school of ``verzuim sync``, its school file and its sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    school: Path
    sources: list[SyncSource] = Field(default_factory=list)
    history: Path | None = None
    """Meldingen sent to DUO before the gateway was used (the ``--history`` JSON of ``verzuim
    precheck``): never proposed again (V09), and R-EINDE closes them by their DUO number."""


class SyncSettings(BaseModel):
    """``[sync]``: the scheduled sync (``verzuim sync``, issue 6; ``gateway/service/sync.py``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_seconds: float | None = Field(default=None, gt=0)
    cron: str | None = None
    lease_seconds: float = Field(default=300.0, ge=5)
    summary_dir: Path = Path("sync-runs")
    data_dir: Path = Path("sync-data")
    settle_seconds: float = Field(default=60.0, ge=0)
    deadline_warning_werkdagen: int = Field(default=2, ge=0, le=20)
    sources: list[SyncSource] = Field(default_factory=list)
    schools: list[SyncSchool] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SyncSettings:
        if self.interval_seconds is not None and self.cron is not None:
            raise ValueError("sync: geef interval_seconds of cron, niet allebei")
        if self.sources and self.schools:
            raise ValueError(
                "sync: met [[sync.schools]] horen de bronnen bij elke school "
                "([[sync.schools.sources]]), niet in sync.sources"
            )
        if self.cron is not None:
            from cronsim import CronSim, CronSimError

            try:
                CronSim(self.cron, datetime(2024, 1, 1, tzinfo=UTC))
            except CronSimError as exc:
                raise ValueError(f"sync.cron: geen geldige cron-expressie ({exc})") from None
        return self


class LoggingSettings(BaseModel):
    """``[logging]``: passed to ``gateway.logging.configure_logging`` (DESIGN.md 2 "logging")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["auto", "json", "console"] = "auto"

    @model_validator(mode="before")
    @classmethod
    def _upper_level(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("level"), str):
            return {**data, "level": data["level"].strip().upper()}
        return data


@dataclass(frozen=True, slots=True)
class _LoadContext:
    toml: Mapping[str, Any]
    environ: Mapping[str, str]


_LOADING: ContextVar[_LoadContext | None] = ContextVar("verzuim_settings_loading", default=None)


class Settings(BaseSettings):
    """All settings of one gateway process. Build it with ``load_settings``; see the module doc."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    school: Path = Path("school.toml")
    store_url: str = Field(default="sqlite:///verzuim.db", repr=False)
    store_url_file: Path | None = None
    duo: DuoSettings = Field(default_factory=DuoSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)

    @model_validator(mode="before")
    @classmethod
    def _store_url_from_file(cls, data: Any) -> Any:
        return _secret_from_file(data, "store_url")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, then the environment, then the TOML file (see the module doc)."""
        loading = _LOADING.get()
        if loading is None:
            return (init_settings, _MappingEnvSource(settings_cls, os.environ))
        return (
            init_settings,
            _MappingEnvSource(settings_cls, loading.environ),
            _MappingSource(settings_cls, loading.toml),
        )


class _MappingSource(PydanticBaseSettingsSource):
    """The already parsed (and path-resolved) TOML file as a settings source."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = dict(values)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return _pair_secret_twins(dict(self._values))


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of ``os.environ``.

    Overrides the same hook pydantic-settings' own ``DotEnvSettingsSource`` overrides.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self.case_sensitive:
            return dict(self._environ)
        return {key.lower(): value for key, value in self._environ.items()}

    def __call__(self) -> dict[str, Any]:
        return _pair_secret_twins(super().__call__())


_SECRET_TWINS: tuple[tuple[str | None, str], ...] = (
    (None, "store_url"),
    ("duo", "client_key_password"),
)


def _pair_secret_twins(values: dict[str, Any]) -> dict[str, Any]:
    """Let the source that gives a secret decide between its value and its ``*_file`` twin.

    A source giving only one of the two sets the other to None, so that it overrides a lower
    source's choice when the sources are merged; giving both in one source stays an error.
    """
    for table, key in _SECRET_TWINS:
        target = values if table is None else values.get(table)
        if not isinstance(target, dict):
            continue
        target = dict(target)
        file_key = f"{key}_file"
        if key in target and file_key not in target:
            target[file_key] = None
        elif file_key in target and key not in target:
            target[key] = None
        values = target if table is None else {**values, table: target}
    return values


def _secret_from_file(data: Any, key: str) -> Any:
    """Replace ``{key}_file`` (a path) by ``key`` = the file's content without trailing newline."""
    if not isinstance(data, Mapping):
        return data
    file_key = f"{key}_file"
    file_value = data.get(file_key)
    if file_value is None or file_value == "":
        if key in data and data[key] is None and key == "store_url":
            return {k: v for k, v in data.items() if k != key}  # the default applies
        return data
    if data.get(key) is not None:
        raise ValueError(f"geef {key} of {file_key}, niet allebei")
    path = Path(str(file_value)).expanduser()
    try:
        secret = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{file_key}: bestand {path} niet leesbaar ({type(exc).__name__}); "
            "controleer het pad en de rechten"
        ) from None
    return {**data, key: secret}


# --- loading ----------------------------------------------------------------------------------


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file and the ``VERZUIM_*`` environment into one checked ``Settings``.

    ``path`` is ``--config``; without it ``$VERZUIM_CONFIG`` or ``verzuim.toml`` is read when it
    exists. ``env`` replaces ``os.environ`` (tests). Raises ``ConfigError`` listing every
    problem, one line per key, never quoting a value.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    explicit = path is not None or bool(environ.get(ENV_CONFIG))
    config_path = path if path is not None else Path(environ.get(ENV_CONFIG) or DEFAULT_CONFIG)
    toml_values: dict[str, Any] = {}
    if explicit or config_path.exists():
        toml_values = _read_toml(config_path)
    env_values = {k: v for k, v in environ.items() if k.upper() != ENV_CONFIG}
    token = _LOADING.set(_LoadContext(toml=toml_values, environ=env_values))
    try:
        return Settings()
    except ValidationError as exc:
        source = f"{config_path} en {ENV_PREFIX}*-omgevingsvariabelen"
        raise ConfigError(readable_validation_error(exc, source)) from None
    finally:
        _LOADING.reset(token)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: instellingenbestand niet gevonden; geef het juiste pad met --config"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: instellingenbestand niet leesbaar ({type(exc).__name__}); "
            "controleer de rechten en of het UTF-8 is"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: geen geldige TOML: {exc}") from None
    return _resolve_paths(raw, path.absolute().parent)


def _path_keys(model: type[BaseModel]) -> dict[str, Any]:
    """The path-valued keys of a model, nested models as sub-dicts: ``{"school": None, ...}``."""
    keys: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if annotation is Path or annotation == (Path | None):
            keys[name] = None
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys[name] = _path_keys(annotation)
        elif get_origin(annotation) is list:  # a list of paths or of tables: [sub]
            (item,) = get_args(annotation)
            if item is Path:
                keys[name] = [None]
            elif isinstance(item, type) and issubclass(item, BaseModel):
                keys[name] = [_path_keys(item)]
    return keys


def _resolve_paths(raw: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """Make the relative paths of a TOML file relative to the file's directory."""

    def one(value: Any, sub: Any) -> Any:
        if sub is None and isinstance(value, str) and value:
            candidate = Path(value).expanduser()
            return str(candidate if candidate.is_absolute() else base / candidate)
        if isinstance(sub, list) and isinstance(value, list):
            return [one(item, sub[0]) for item in value]
        if isinstance(sub, Mapping) and isinstance(value, Mapping):
            return walk(value, sub)
        return value

    def walk(values: Mapping[str, Any], keys: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(values)
        for key, sub in keys.items():
            if key in out:
                out[key] = one(out[key], sub)
        return out

    resolved = walk(raw, _path_keys(Settings))
    if isinstance(resolved.get("store_url"), str):
        resolved["store_url"] = _resolve_sqlite_url(resolved["store_url"], base)
    return resolved


def _resolve_sqlite_url(url: str, base: Path) -> str:
    """``sqlite:///verzuim.db`` -> ``sqlite:////abs/dir/verzuim.db``; other URLs unchanged."""
    match = _SQLITE_URL.fullmatch(url)
    if match is None:
        return url
    rest = match["rest"]
    file_part, sep, query = rest.partition("?")
    if not file_part or file_part == ":memory:" or Path(file_part).expanduser().is_absolute():
        return url
    return f"{match['scheme']}:///{base / file_part}{sep}{query}"


_MESSAGES: dict[str, str] = {
    "missing": "ontbreekt",
    "extra_forbidden": "onbekende sleutel; controleer de spelling",
    "string_type": "moet tekst zijn (zet de waarde tussen aanhalingstekens)",
    "int_type": "moet een geheel getal zijn",
    "int_parsing": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "float_type": "moet een getal zijn",
    "float_parsing": "moet een getal zijn",
    "bool_type": "moet true of false zijn",
    "bool_parsing": "moet true of false zijn",
    "path_type": "moet een bestandspad zijn",
    "model_type": "moet een tabel zijn (bijv. [duo])",
    "model_attributes_type": "moet een tabel zijn (bijv. [duo])",
    "dict_type": "moet een tabel zijn",
}


def readable_validation_error(exc: ValidationError, source: str) -> str:
    """One line per pydantic error: the dotted key, its environment variable and what to fix.

    The offending value is never quoted (it may be a secret).
    """
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc) if loc else "(instellingen)"
        env_name = ENV_PREFIX + "__".join(part.upper() for part in loc) if loc else None
        # a value_error of a whole table (a model validator) names its own keys: no env hint
        where = f"{key} ({env_name})" if env_name and error["type"] != "value_error" else key
        lines.append(f"- {where}: {_message(error)}")
    return f"instellingen ongeldig ({source}):\n" + "\n".join(lines)


def _message(error: Any) -> str:
    kind = str(error["type"])
    ctx = error.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        bound = {
            "greater_than": ("groter dan", "gt"),
            "greater_than_equal": ("minstens", "ge"),
            "less_than": ("kleiner dan", "lt"),
            "less_than_equal": ("hoogstens", "le"),
        }[kind]
        return f"moet {bound[0]} {ctx.get(bound[1])} zijn"
    if kind == "literal_error":
        return f"moet een van {str(ctx.get('expected')).replace(' or ', ' of ')} zijn"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


# --- checks at start-up -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettingsCheck:
    """What ``check_settings`` found: errors stop the gateway, warnings are shown and logged."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    certificate_days_left: int | None
    """Days until the client certificate expires (negative: expired); None when unreadable."""
    duo_certificate_days_left: int | None = None
    """Days until the pinned DUO certificate expires (profile 2W-be-S only)."""

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise one ``ConfigError`` listing every error; do nothing when there are none."""
        if self.errors:
            raise ConfigError(
                "instellingen niet bruikbaar:\n" + "\n".join(f"- {e}" for e in self.errors)
            )


def certificate_days_left(cert_path: Path, now: datetime) -> int:
    """Whole days from ``now`` until the certificate's notAfter (DOMAIN.md 3.4); negative when
    expired. A naive ``now`` is taken as UTC. Raises ``ConfigError`` when unreadable."""
    certificate = _load_certificates(cert_path, "certificaat")[0]
    return _days_left(certificate, now)


def check_settings(
    settings: Settings, now: datetime, *, warn_days: int = EXPIRY_WARNING_DAYS
) -> SettingsCheck:
    """Check what the settings point at, collecting every problem (DOMAIN.md 3.4, DESIGN.md 2).

    Errors: a missing or unreadable file, an unusable school file, an unreadable or encrypted key
    without (the right) password, a key that does not belong to the certificate, a certificate
    expired or not yet valid, an endpoint that is not https, an OIN that is not 20 digits or not
    the certificate's ``subject.serialNumber``, an empty trust bundle. Warnings: a key or secret
    file readable by group or others, a certificate with fewer than ``warn_days`` days left. No
    message contains key material or a secret.
    """
    errors: list[str] = []
    warnings: list[str] = []
    duo = settings.duo
    now = _aware(now)

    if settings.sync.schools:  # a vendor's schools; the top-level `school` is then unused
        for number, entry in enumerate(settings.sync.schools):
            _check_school(entry.school, errors, f"sync.schools[{number}].school")
    else:
        _check_school(settings.school, errors)
    _check_store_url(settings.store_url, errors)
    _check_endpoint(duo.endpoint, errors)
    _check_lease(duo, warnings)

    oin_ok = bool(_OIN.fullmatch(duo.oin))
    if not duo.oin:
        errors.append("duo.oin: ontbreekt; zet het OIN van de school (20 tekens)")
    elif not oin_ok:
        errors.append(
            "duo.oin: een OIN is precies 20 cijfers of hoofdletters (een BRIN erin); controleer"
        )

    certificate: x509.Certificate | None = None
    days_left: int | None = None
    try:
        certificate = _load_certificates(duo.client_cert, "duo.client_cert")[0]
    except ConfigError as exc:
        errors.append(str(exc))
    if certificate is not None:
        days_left = _days_left(certificate, now)
        _check_validity(certificate, now, days_left, warn_days, errors, warnings)
        if oin_ok:
            _check_oin(certificate, duo.oin, errors)

    key = _load_key(duo.client_key, duo.client_key_password, errors)
    _check_permissions(duo.client_key, "duo.client_key", warnings)
    for name, path in (
        ("duo.client_key_password_file", duo.client_key_password_file),
        ("store_url_file", settings.store_url_file),
    ):
        if path is not None:
            _check_permissions(path, name, warnings)
    if key is not None and certificate is not None and not _same_public_key(key, certificate):
        errors.append(
            f"duo.client_key: de sleutel {duo.client_key} hoort niet bij het certificaat "
            f"{duo.client_cert}; zet het sleutelbestand van dit certificaat"
        )

    try:
        _check_bundle(_load_certificates(duo.trust_bundle, "duo.trust_bundle"), now, warnings)
    except ConfigError as exc:
        errors.append(str(exc))
    duo_days_left = _check_duo_cert(duo, now, warn_days, errors, warnings)
    _check_crl(duo.crl_file, now, errors, warnings)

    return SettingsCheck(tuple(errors), tuple(warnings), days_left, duo_days_left)


def _check_duo_cert(
    duo: DuoSettings, now: datetime, warn_days: int, errors: list[str], warnings: list[str]
) -> int | None:
    """Profile 2W-be-S (DOMAIN.md 3.4): DUO's pinned signing certificate readable and valid;
    a warning from ``warn_days`` before it expires. Returns its days left."""
    if duo.profiel != "2W-be-S" or duo.duo_cert is None:
        return None
    try:
        certificate = _load_certificates(duo.duo_cert, "duo.duo_cert")[0]
    except ConfigError as exc:
        errors.append(str(exc))
        return None
    days_left = _days_left(certificate, now)
    if now < certificate.not_valid_before_utc:
        errors.append(
            f"duo.duo_cert: het DUO-certificaat is pas geldig vanaf "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC; controleer de klok"
        )
    elif days_left < 0 or now >= certificate.not_valid_after_utc:
        errors.append(
            f"duo.duo_cert: het DUO-certificaat is verlopen op "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}; zet het nieuwe certificaat van DUO"
        )
    elif days_left < warn_days:
        warnings.append(
            f"duo.duo_cert: het DUO-certificaat verloopt over {days_left} dagen "
            f"({certificate.not_valid_after_utc:%Y-%m-%d}); vraag DUO om het nieuwe certificaat"
        )
    return days_left


def _check_crl(path: Path | None, now: datetime, errors: list[str], warnings: list[str]) -> None:
    """``duo.crl_file``: a PEM CRL that is not past its nextUpdate (OpenSSL refuses every
    connection with an expired CRL)."""
    if path is None:
        return
    try:
        crl = x509.load_pem_x509_crl(_read_bytes(path, "duo.crl_file"))
    except ConfigError as exc:
        errors.append(str(exc))
        return
    except ValueError:
        errors.append(f"duo.crl_file: {path} is geen PEM-CRL ('-----BEGIN X509 CRL-----')")
        return
    next_update = crl.next_update_utc
    if next_update is not None and next_update <= now:
        errors.append(
            f"duo.crl_file: de CRL is verlopen op {next_update:%Y-%m-%d %H:%M} UTC; "
            "haal een verse CRL op (elke verbinding wordt anders geweigerd)"
        )
    elif next_update is not None and (next_update - now).total_seconds() < 86400:
        warnings.append(
            f"duo.crl_file: de CRL verloopt binnen een dag ({next_update:%Y-%m-%d %H:%M} UTC); "
            "ververs hem"
        )


def _aware(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def _days_left(certificate: x509.Certificate, now: datetime) -> int:
    seconds = (certificate.not_valid_after_utc - _aware(now)).total_seconds()
    return math.floor(seconds / 86400)


def _read_bytes(path: Path, key: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{key}: bestand {path} niet gevonden; controleer het pad") from None
    except IsADirectoryError:
        raise ConfigError(f"{key}: {path} is een map, geen bestand") from None
    except OSError as exc:
        raise ConfigError(
            f"{key}: bestand {path} niet leesbaar ({type(exc).__name__}); controleer de rechten"
        ) from None


def _load_certificates(path: Path, key: str) -> list[x509.Certificate]:
    """Every certificate of a PEM file, the first one first; ``ConfigError`` when there is none."""
    data = _read_bytes(path, key)
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        certificates = []
    if not certificates:
        raise ConfigError(
            f"{key}: {path} bevat geen leesbaar PEM-certificaat "
            "('-----BEGIN CERTIFICATE-----'); controleer het bestand"
        )
    return certificates


def _load_key(path: Path, password: SecretStr | None, errors: list[str]) -> PrivateKeyTypes | None:
    try:
        data = _read_bytes(path, "duo.client_key")
    except ConfigError as exc:
        errors.append(str(exc))
        return None
    secret = password.get_secret_value().encode() if password is not None else None
    try:
        return serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        if secret is None:
            errors.append(
                f"duo.client_key: {path} is versleuteld; geef het wachtwoord met "
                "duo.client_key_password_file (of VERZUIM_DUO__CLIENT_KEY_PASSWORD_FILE)"
            )
        else:
            errors.append(
                f"duo.client_key: {path} is niet versleuteld; verwijder "
                "duo.client_key_password(_file)"
            )
    except (ValueError, UnsupportedAlgorithm):
        hint = "of het wachtwoord klopt niet" if secret is not None else ""
        errors.append(
            f"duo.client_key: {path} is geen leesbare PEM-privésleutel {hint}".rstrip()
            + "; controleer het bestand"
        )
    return None


def _check_permissions(path: Path, key: str, warnings: list[str]) -> None:
    """Warn when a secret file is readable or writable by group or others (POSIX only)."""
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # reported as an error elsewhere
    if mode & 0o077:
        warnings.append(
            f"{key}: {path} heeft rechten {mode:04o}, ook groep of anderen hebben toegang; "
            f"maak het alleen voor de eigenaar leesbaar (chmod 600 {path})"
        )


def _same_public_key(key: PrivateKeyTypes, certificate: x509.Certificate) -> bool:
    def spki(public: Any) -> bytes:
        return bytes(
            public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    try:
        return spki(key.public_key()) == spki(certificate.public_key())
    except (AttributeError, ValueError, TypeError):
        return False


def _check_validity(
    certificate: x509.Certificate,
    now: datetime,
    days_left: int,
    warn_days: int,
    errors: list[str],
    warnings: list[str],
) -> None:
    not_before = certificate.not_valid_before_utc
    not_after = certificate.not_valid_after_utc
    if now < not_before:
        errors.append(
            f"duo.client_cert: het certificaat is pas geldig vanaf {not_before:%Y-%m-%d %H:%M} "
            "UTC; controleer de klok van deze machine of wacht tot dan"
        )
    elif now >= not_after:
        errors.append(
            f"duo.client_cert: het certificaat is verlopen op {not_after:%Y-%m-%d} "
            "; vraag een nieuw PKIoverheid-certificaat aan en zet het hier"
        )
    elif days_left < warn_days:
        warnings.append(
            f"duo.client_cert: het certificaat verloopt over {days_left} dagen "
            f"({not_after:%Y-%m-%d}); vraag nu een nieuw PKIoverheid-certificaat aan"
        )


def _check_oin(certificate: x509.Certificate, oin: str, errors: list[str]) -> None:
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not values:
        errors.append(
            "duo.client_cert: het certificaat heeft geen serialNumber (OIN) in het subject; "
            "is het een PKIoverheid-servercertificaat van de school?"
        )
        return
    raw = values[0].value
    in_cert = raw if isinstance(raw, str) else raw.decode(errors="replace")
    if in_cert != oin:
        errors.append(
            f"duo.oin: {oin} is niet het OIN in het certificaat ({in_cert}); "
            "zet duo.oin gelijk aan het subject.serialNumber van duo.client_cert"
        )


def _check_bundle(certificates: list[x509.Certificate], now: datetime, warnings: list[str]) -> None:
    expired = sum(1 for c in certificates if c.not_valid_after_utc <= now)
    if expired:
        warnings.append(
            f"duo.trust_bundle: {expired} van de {len(certificates)} certificaten zijn verlopen; "
            "werk de PKIoverheid-bundel bij"
        )


def _check_endpoint(endpoint: str, errors: list[str]) -> None:
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
    except ValueError:
        errors.append("duo.endpoint: geen geldige URL; verwacht https://host[:poort]/pad")
        return
    if parts.scheme.lower() != "https":
        shown = f"'{parts.scheme}://'" if parts.scheme else "geen schema"
        errors.append(f"duo.endpoint: moet met https:// beginnen (DUO alleen over TLS), nu {shown}")
    elif not host:
        errors.append("duo.endpoint: de host ontbreekt; verwacht https://host[:poort]/pad")
    if parts.username or parts.password:
        errors.append("duo.endpoint: zet geen gebruikersnaam of wachtwoord in de URL")


def _check_school(path: Path, errors: list[str], key: str = "school") -> None:
    if not path.is_file():
        errors.append(f"{key}: schoolbestand {path} niet gevonden; controleer het pad")
        return
    try:
        load_school(path)
    except ConfigError as exc:
        errors.append(f"{key}: {exc}")


def longest_send_seconds(duo: DuoSettings) -> float:
    """The longest one send can take: every attempt connecting and then waiting for the whole
    read timeout, plus the short backoff between attempts (at most 2 s each)."""
    attempts = duo.max_attempts
    return attempts * (duo.connect_timeout_seconds + duo.timeout_seconds) + 2.0 * (attempts - 1)


def _check_lease(duo: DuoSettings, warnings: list[str]) -> None:
    """DESIGN.md 4: a row whose lease runs out while its request is still in flight becomes
    ``unknown`` and may be reconciled (and resent) before DUO has registered it."""
    longest = longest_send_seconds(duo)
    if duo.lease_seconds <= longest:
        warnings.append(
            f"duo.lease_seconds ({duo.lease_seconds:g}) is niet langer dan de langste verzending "
            f"({duo.max_attempts} pogingen x (connect_timeout_seconds + timeout_seconds) + "
            f"wachttijd = {longest:g} s): een trage verzending kan dan worden afgestemd en "
            f"opnieuw verstuurd terwijl ze nog onderweg is; zet lease_seconds hoger (bijv. "
            f"{2 * longest:g})"
        )


def _check_store_url(url: str, errors: list[str]) -> None:
    if not url:
        errors.append("store_url: ontbreekt; bijv. sqlite:///verzuim.db")
        return
    match = _SQLITE_URL.fullmatch(url)
    if match is None:
        return
    file_part = match["rest"].partition("?")[0]
    if file_part and file_part != ":memory:":
        directory = Path(file_part).expanduser().parent
        if not directory.is_dir():
            errors.append(
                f"store_url: de map {directory} van de SQLite-database bestaat niet; maak hem aan"
            )
