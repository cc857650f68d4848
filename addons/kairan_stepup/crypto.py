"""Encryption at rest for the add-on's stored secrets (TOTP seeds, ...).

Fernet (AES-128-CBC + HMAC-SHA256) through ``MultiFernet`` over the keys of
``kairan.stepup.encryption_keys``: the first key encrypts, every key
decrypts. To rotate: put a new key (``kairan stepup new-key``) first, keep
the old ones after it, restart, run ``kairan stepup rotate-keys`` (which
re-encrypts every stored secret with the first key), then remove the old keys.

A model opts in by naming its encrypted columns in ``__encrypted_columns__``
(a tuple of attribute names holding Fernet tokens); ``rotate-keys`` finds
every such model in the metadata, so a new part needs no change here.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from kairan.settings import SettingsError

REGISTRY_KEY = "kairan_stepup.cipher"

__all__ = ["InvalidToken", "cipher", "decrypt", "encrypt", "new_key", "encrypted_models"]


def new_key() -> str:
    """A fresh random Fernet key (url-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


def build_cipher(keys) -> MultiFernet:
    """A ``MultiFernet`` over ``keys``; a malformed key fails naming its position only."""
    if not keys:
        raise SettingsError("kairan.stepup.encryption_keys is empty")
    fernets = []
    for position, key in enumerate(keys, 1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as e:
            # never echo the key itself
            raise SettingsError(f"kairan.stepup.encryption_keys: key {position} is not a "
                                "Fernet key (url-safe base64 of 32 bytes); generate one with "
                                "`kairan stepup new-key`") from e
    return MultiFernet(fernets)


def cipher(registry) -> MultiFernet:
    """The application's cipher, built once per registry from its settings."""
    found = registry.get(REGISTRY_KEY)
    if found is None:
        found = build_cipher(registry.settings["kairan.stepup.encryption_keys"])
        registry[REGISTRY_KEY] = found
    return found


def encrypt(registry, plaintext: str) -> str:
    return cipher(registry).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(registry, token: str) -> str:
    """The plaintext; raises ``InvalidToken`` if no configured key opens it."""
    return cipher(registry).decrypt(token.encode("ascii")).decode("utf-8")


def encrypted_models(base):
    """[(model class, (column names...))] of every mapped class that declares
    ``__encrypted_columns__``."""
    found = []
    for mapper in base.registry.mappers:
        columns = getattr(mapper.class_, "__encrypted_columns__", None)
        if columns:
            found.append((mapper.class_, tuple(columns)))
    return sorted(found, key=lambda pair: pair[0].__tablename__)


def rotate_all(dbsession, fernet: MultiFernet, base, batch=200, progress=None):
    """Re-encrypt every stored secret with the first key; return how many values changed.

    Each value is written with a guarded UPDATE (``WHERE column = old token``)
    so a secret replaced meanwhile (a resident re-enrolling) is left alone
    rather than overwritten with the old one. ``progress(n)`` is called after
    each batch with the number of rows done.
    """
    from sqlalchemy import select, update

    changed = 0
    for model, columns in encrypted_models(base):
        (key_column,) = model.__mapper__.primary_key
        last = None
        while True:
            query = select(key_column, *(getattr(model, c) for c in columns)) \
                .order_by(key_column).limit(batch)
            if last is not None:
                query = query.where(key_column > last)
            rows = dbsession.execute(query).all()
            if not rows:
                break
            for row in rows:
                last = row[0]
                for name, token in zip(columns, row[1:], strict=True):
                    if not token:
                        continue
                    fresh = fernet.rotate(token.encode("ascii")).decode("ascii")
                    result = dbsession.execute(
                        update(model).where(key_column == row[0], getattr(model, name) == token)
                        .values({name: fresh}).execution_options(synchronize_session=False))
                    changed += result.rowcount or 0
            if progress is not None:
                progress(len(rows))
    return changed


def count_encrypted(dbsession, base):
    from sqlalchemy import func, select

    return sum(dbsession.scalar(select(func.count()).select_from(model)) or 0
               for model, _columns in encrypted_models(base))
