"""Secret detection and masking: by name, by value shape, in command lines and in free text."""

from __future__ import annotations

import base64
import os
import secrets as random_secrets

import pytest

from syswatch.secrets import (
    MASK,
    find_secrets,
    is_card_number,
    is_high_entropy,
    is_secret_name,
    mask,
    mask_cmdline,
    mask_text,
    secret_reason,
)

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize(
    "name",
    ["SECRET", "DB_PASSWORD", "MYSQL_ROOT_PASSWD", "GITHUB_TOKEN", "apiKey", "API_KEY", "X_APIKEY",
     "PRIVATE_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "GOOGLE_CREDENTIALS", "AUTH",
     "OAUTH_TOKEN", "SESSION_SECRET", "session", "COOKIE", "STRIPE_KEY", "signingKey", "SENTRY_DSN",
     "PASSPHRASE", "db.password", "my-secret"],
)  # fmt: skip
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["AUTHOR", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "TOKENIZERS_PARALLELISM", "KEYBOARD", "PWD",
     "OLDPWD", "SSH_AUTH_SOCK", "XAUTHORITY", "XDG_SESSION_TYPE", "DESKTOP_SESSION", "SESSION_MANAGER",
     "DBUS_SESSION_BUS_ADDRESS", "MYSQL_PASSWORD_FILE", "PUBLIC_KEY", "key", "HOME", "LESSKEY",
     "PASSENGER_APP_ENV", "AUTH_TYPE", "SESSION_TIMEOUT", "HISTCONTROL"],
)  # fmt: skip
def test_names_that_are_not_secrets(name):
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("h3Kq9/ZtR2vLx8+Wm4NbYc7PdJ0sFgA1eUoTi6Qz", "AWS secret key"),
        ("ghp_" + "a1B2c3D4e5" * 3 + "a1B2c3", "GitHub token"),
        ("glpat-abcdefghij0123456789", "GitLab token"),
        ("xoxb-123456789012-abcdefABCDEF", "Slack token"),
        (JWT, "JWT"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----", "PEM block"),
        ("postgres://app:s3cr3t@db:5432/app", "password in URL"),
        ("4111 1111 1111 1111", "card number"),
        ("k8Df2LmQ9xZr7TbW3nVc", "high-entropy string"),
    ],
)
def test_secret_values_by_shape(value, reason):
    assert secret_reason("SOME_SETTING", value) == reason


@pytest.mark.parametrize(
    "value",
    ["/usr/local/bin:/usr/bin:/bin", "en_US.UTF-8", "xterm-256color", "550e8400-e29b-41d4-a716-446655440000",
     "3f786850e387550fdab836ed7e6dc881de23001b",  # a git commit id is 40 chars but all lowercase hex
     "HelloWorldApplication2023", "/usr/lib/python3.11/site-packages", "kube-apiserver-2024.12.01-ReleaseCandidate",
     "org.apache.Hadoop2Config.Version", "1700000000000",  # epoch millis: digits, but no card prefix
     "4111 1111 1111 1112",  # fails Luhn
     "rs=0:di=01;34:ln=01;36", "https://example.com/path?q=1",
     # identifiers fdpeek meets in binaries: a C++ symbol, a typeinfo name, an instruction name
     "_ZN4llvm12DenseMapBaseINS_8DenseMapIPKNS_5ValueE", "N4llvm26CallEntryPseudoSourceValueE",
     "ZN4llvm11compression4zstd11isAvailableEv", "PseudoVSOXSEG7EI8_V_MF8_M1"],
)  # fmt: skip
def test_ordinary_values_are_not_secrets(value):
    assert secret_reason("SOME_SETTING", value) is None


def test_random_tokens_are_caught_by_entropy():
    # Random base64 of 32 characters or more: practically always flagged; hex ids never.
    caught = sum(is_high_entropy(base64.b64encode(os.urandom(48)).decode()[:32]) for _ in range(200))
    assert caught >= 180  # ~5% look like identifiers (runs of one-case letters) and pass
    assert not any(is_high_entropy(random_secrets.token_hex(20)) for _ in range(200))


def test_luhn_card_numbers():
    assert is_card_number("4111111111111111") and is_card_number("5500-0000-0000-0004")
    assert not is_card_number("4111111111111112") and not is_card_number("411111111111")


def test_mask_never_contains_the_secret():
    secret = "hunter2hunter2"
    masked = mask(secret)
    assert masked == f"{MASK} (14 chars)" and not set(secret) & set(masked.replace("chars", ""))
    assert mask(secret, length_hint=False) == MASK


def test_mask_text_masks_only_the_secret_spans():
    text = f"db password: hunter2 user=bob token={JWT} url=https://bob:pw9@h/x"
    masked, changed = mask_text(text)
    assert changed
    assert masked == f"db password: {MASK} user=bob token={MASK} url=https://bob:{MASK}@h/x"
    assert mask_text("nothing to hide here") == ("nothing to hide here", False)
    assert mask_text('{"auth": "Ym9iOnNlY3JldA==", "key": "app"}')[0] == f'{{"auth": "{MASK}", "key": "app"}}'


def test_findings_do_not_overlap():
    spans = find_secrets(f"token={JWT} AKIAIOSFODNN7EXAMPLE")
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["mysql", "-uroot", "-ps3cret", "shop"], ["mysql", "-uroot", f"-p{MASK}", "shop"]),
        (["mysql", "-p", "shop"], ["mysql", "-p", "shop"]),  # bare -p prompts; shop is the database
        (["/usr/bin/mysqldump", "--password", "shop"], ["/usr/bin/mysqldump", "--password", "shop"]),
        (["mysql", "--password=s3cret"], ["mysql", f"--password={MASK}"]),
        (["sshpass", "-p", "pw", "ssh", "host"], ["sshpass", "-p", MASK, "ssh", "host"]),
        (["redis-cli", "-a", "pw", "ping"], ["redis-cli", "-a", MASK, "ping"]),
        (["curl", "-u", "bob:pw", "https://x"], ["curl", "-u", f"bob:{MASK}", "https://x"]),
        (["git", "clone", "https://bob:tok@github.com/a/b"], ["git", "clone", f"https://bob:{MASK}@github.com/a/b"]),
        (["app", "--api-key", "abc", "--verbose"], ["app", "--api-key", MASK, "--verbose"]),
        (["app", "--token=abc", "--no-password", "x"], ["app", f"--token={MASK}", "--no-password", "x"]),
        (["docker", "login", "--password-stdin", "reg"], ["docker", "login", "--password-stdin", "reg"]),
        (["env", "DB_PASSWORD=pw", "HOME=/root", "run"], ["env", f"DB_PASSWORD={MASK}", "HOME=/root", "run"]),
        (["python3", "-c", "print(1)"], ["python3", "-c", "print(1)"]),
        (["worker", "--header", f"Authorization: Bearer {JWT}"], ["worker", "--header", f"Authorization: Bearer {MASK}"]),
        ([], []),
    ],
)  # fmt: skip
def test_mask_cmdline(args, expected):
    assert list(mask_cmdline(args)) == expected
