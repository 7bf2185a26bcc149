"""The password policy for staff accounts (pure rules, no database).

Stated on every page that sets a password: at least 10 characters, from at least two of
letters, digits and other characters, and not containing the username."""

import secrets
import string

MIN_LENGTH = 10
MAX_LENGTH = 128
POLICY = "至少 10 个字符，须包含字母、数字、符号中的至少两类，且不能包含用户名"

# Temporary passwords are read off a screen and typed once: no 0/O, 1/l/I.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def password_problem(password: str, *, username: str) -> str | None:
    """None if the password meets the policy, else what is wrong, in Chinese."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if len(password) > MAX_LENGTH:
        return f"密码不能超过 {MAX_LENGTH} 个字符"
    classes = sum(
        (
            any(c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 2:
        return "密码须包含字母、数字、符号中的至少两类"
    if username and username.strip().lower() in password.lower():
        return "密码不能包含用户名"
    return None


def temporary_password() -> str:
    """A one-time password an administrator hands over (it must be changed at login):
    12 characters with letters and digits, so it meets the policy itself."""
    while True:
        candidate = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
        if any(c in string.digits for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate
