"""Password hashing with argon2id (memory-hard), parameters from configuration."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def init_app(app):
    app.extensions["password_hasher"] = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"], memory_cost=app.config["ARGON2_MEMORY_KIB"],
        parallelism=app.config["ARGON2_PARALLELISM"])
    # Hashed once so that a login for an unknown account costs as much as a real one.
    app.extensions["password_dummy_hash"] = app.extensions["password_hasher"].hash("dummy-password-1")


def _hasher():
    return current_app.extensions["password_hasher"]


def hash_password(password):
    return _hasher().hash(password)


def verify_password(stored_hash, password):
    """True when the password matches; False otherwise (never raises for a wrong password)."""
    try:
        return _hasher().verify(stored_hash or current_app.extensions["password_dummy_hash"], password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash):
    return _hasher().check_needs_rehash(stored_hash)
