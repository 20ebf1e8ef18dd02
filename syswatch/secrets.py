"""Which values are secrets, and how to show them without revealing them.

Three questions, one module:
- an environment entry (`NAME=value`): secret by its name or by the shape of its value;
- a command line: `--password=x`, `-p x` for tools known to take a password there, `user:pass@`
  in URLs, `NAME=value` arguments, and any argument that looks like a credential;
- free text (strings of a file, a line of output): the spans that look like credentials.

A mask never contains any part of the secret: only `••••••••` and, where asked, its length.
Hand-written rather than detect-secrets (Yelp): that scans files and reports findings, where
syswatch needs fast in-process decisions on names and exact spans to replace in a line.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

MASK = "••••••••"

# Words of a name that make its value secret. A name is split into words at `_`, `-`, `.` and
# camelCase humps, and each word compared whole, so AUTHOR, TOKENIZERS, KEYBOARD, PASSENGER,
# XAUTHORITY do not match while DB_PASSWORD, apiKey and OAUTH_TOKEN do.
SECRET_WORDS = frozenset(
    {
        "SECRET", "SECRETS", "TOKEN", "TOKENS", "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "PASSPHRASE",
        "PWD", "APIKEY", "PRIVATE", "PRIVATEKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH",
        "AUTHTOKEN", "AUTHORIZATION", "ACCESSKEY", "ACCESSTOKEN", "SECRETKEY", "SESSION", "COOKIE",
        "COOKIES", "KEY", "KEYS", "DSN", "SIGNATURE", "SALT", "CERTKEY",
    }
)  # fmt: skip
# Names that match a word above but are well known to hold nothing secret.
SAFE_NAMES = frozenset(
    {
        "PWD", "OLDPWD", "SSH_AUTH_SOCK", "SESSION_MANAGER", "DESKTOP_SESSION", "GDMSESSION",
        "XDG_SESSION_ID", "XDG_SESSION_TYPE", "XDG_SESSION_CLASS", "XDG_SESSION_DESKTOP",
        "XDG_SESSION_PATH", "XDG_SEAT_PATH", "DBUS_SESSION_BUS_ADDRESS", "GPG_KEY_ID",
        "KEYTIMEOUT", "KEY_SEQUENCE_TIMEOUT",
    }
)  # fmt: skip
# A last word that says the value is a location or a switch, not the secret itself
# (MYSQL_PASSWORD_FILE=/run/secrets/db, GIT_ASKPASS_PATH, AUTH_ENABLED); its value is still checked.
POINTER_WORDS = frozenset(
    {"FILE", "PATH", "DIR", "SOCK", "SOCKET", "ENABLED", "DISABLED", "TYPE", "MODE", "METHOD", "URL",
     "HOST", "PORT", "USER", "USERNAME", "NAME", "TIMEOUT", "TTL", "EXPIRY", "EXPIRES", "LENGTH"}
)  # fmt: skip
PUBLIC_WORDS = frozenset({"PUBLIC", "PUB"})
# Too common alone (a YAML `key:` is rarely a secret) but secret in a compound: STRIPE_KEY, signingKey.
WEAK_WORDS = frozenset({"KEY", "KEYS"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[_\-.\s]+")


def name_words(name: str) -> list[str]:
    return [w.upper() for part in _SEPARATORS.split(name) for w in _CAMEL.split(part) if w]


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when a variable (or option, or key) with this name holds a secret."""
    if name.upper() in SAFE_NAMES:
        return False
    words = name_words(name)
    if not words or words[-1] in POINTER_WORDS or PUBLIC_WORDS & set(words):
        return False
    if any(w in SECRET_WORDS for w in words if w not in WEAK_WORDS):
        return True
    if len(words) > 1 and WEAK_WORDS & set(words):
        return True
    # API_KEY, ACCESS_KEY, PRIVATE_KEY written as two words.
    return any(a + b in SECRET_WORDS for a, b in zip(words, words[1:]))


# Credentials with a recognisable shape. Each pattern matches the secret itself.
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AWS access key id",
     re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b")),
    ("GitLab token", re.compile(r"\bgl(?:pat|dt|rt|ptt|ft|imt|agent|oas|soat|cbt)-[A-Za-z0-9_\-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abposer]-[A-Za-z0-9-]{10,}")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+")),
    ("Stripe key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("OpenAI-style key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}")),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")),
    ("PEM block", re.compile(r"-----BEGIN [A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)")),
    ("password in URL", re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]*:(?P<secret>[^\s/@]+)@")),
)  # fmt: skip
# A pattern with a `secret` group marks only that group (the user name in a URL stays visible).
# Every shape above contains one of these literals: text without any skips the shapes (most text).
_SHAPE_TRIGGERS = re.compile(
    r"A(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA|SCA|Iza)|gh[pousr]_|github_pat_|gl[a-z]+-|xox|"
    r"hooks\.slack|k_(?:live|test)_|sk-|eyJ|-----BEGIN|://"
)
# An AWS secret access key: 40 characters of base64 alphabet, of mixed case and with a digit
# or '/' or '+'. A git commit id (40 lowercase hex) has no upper case, so it does not match.
_AWS_SECRET = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9/+])"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
# `password: hunter2`, `"api_key": "x"`, `token=abc`, `Authorization: Bearer x`: a secret-named key,
# then the value (after an HTTP auth scheme word, which stays visible). The key starts only where
# a word does, so a long identifier is not retried at every character.
_KEY_VALUE = re.compile(
    r"""(?<![A-Za-z0-9_.\-])(?P<key>[A-Za-z][A-Za-z0-9_.\-]{1,63})["']?\s*(?:=|:|=>)\s*["']?(?:(?:Bearer|Basic|Token)\s+)?"""
    r"""(?P<value>[^\s"',;&}]+)"""
)
# Card-number-like: 13-19 digits, optionally grouped by spaces or dashes, with a card prefix.
_DIGIT_RUN = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|6011|65|64[4-9]|35|62)")
_TOKEN = re.compile(r"[A-Za-z0-9+/_\-.~]{20,}={0,2}")  # '=' only as base64 padding, so `key=value` splits

HIGH_ENTROPY_MIN_LENGTH = 20
HIGH_ENTROPY_BITS = 3.9  # bits per char: hex ids stay under ~3.8, random base64 of 20+ chars is ~4.0-5
HIGH_ENTROPY_SWITCHES = 0.35
MANGLED_PREFIXES = ("_Z", "__Z", "_R")  # Itanium C++ and Rust v0 symbol names in binaries


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_card_number(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn_ok(digits)


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    length = len(text)
    return -sum(n / length * math.log2(n / length) for n in counts.values())


_WORD_RUN = re.compile(r"[a-z]{4,}|[A-Z]{4,}")
WORDY = 0.4  # measured: >80% of the identifiers in libLLVM's strings are above, 3-10% of random tokens


def is_wordy(token: str) -> bool:
    """Mostly runs of 4+ letters of one case (LPPassManager, PseudoVSOXSEG7EI8, N4llvm9DIBuilder):
    an identifier, not a random token."""
    return sum(len(run) for run in _WORD_RUN.findall(token)) >= WORDY * len(token)


def class_switch_ratio(token: str) -> float:
    """How often neighbouring letters and digits differ in class (lower/upper/digit), symbols
    skipped: ~0.55 for random base64, under ~0.3 for words, CamelCase names, versions and paths."""
    classes = [0 if c.islower() else 1 if c.isupper() else 2 for c in token if c.isalnum()]
    return sum(a != b for a, b in zip(classes, classes[1:])) / max(len(classes) - 1, 1)


def is_high_entropy(token: str) -> bool:
    """A long random-looking token: mixed case and digits (so no hex ids), high entropy, and
    characters that change class as often as random text does (so no paths or CamelCase words)."""
    if len(token) < HIGH_ENTROPY_MIN_LENGTH or token.islower() or token.isupper():  # cheap checks first
        return False
    if token.startswith(MANGLED_PREFIXES) or is_wordy(token):  # symbols mix case and digits too
        return False
    if not _TOKEN.fullmatch(token) or not any(c.isdigit() for c in token):
        return False
    return class_switch_ratio(token) >= HIGH_ENTROPY_SWITCHES and shannon_entropy(token) >= HIGH_ENTROPY_BITS


@dataclass(frozen=True, slots=True)
class Finding:
    start: int
    end: int
    reason: str


def find_secrets(text: str) -> list[Finding]:
    """Spans of text that look like credentials, sorted and not overlapping."""
    spans: list[Finding] = []
    if _SHAPE_TRIGGERS.search(text):
        for reason, pattern in SHAPES:
            group = "secret" if "secret" in pattern.groupindex else 0
            spans += [Finding(m.start(group), m.end(group), reason) for m in pattern.finditer(text)]
    spans += [
        Finding(m.start(), m.end(), "AWS secret key") for m in _AWS_SECRET.finditer(text) if not is_wordy(m.group())
    ]
    if "=" in text or ":" in text:
        for match in _KEY_VALUE.finditer(text):
            if is_secret_name(match.group("key")) and not match.group("value").startswith(MASK[0]):
                spans.append(Finding(match.start("value"), match.end("value"), f"value of {match.group('key')}"))
    for match in _DIGIT_RUN.finditer(text):
        if is_card_number(match.group()):
            spans.append(Finding(match.start(), match.end(), "card number"))
    for match in _TOKEN.finditer(text):
        if is_high_entropy(match.group()):
            spans.append(Finding(match.start(), match.end(), "high-entropy string"))
    return _merge(spans)


def _merge(spans: list[Finding]) -> list[Finding]:
    merged: list[Finding] = []
    for span in sorted(spans, key=lambda f: (f.start, -f.end)):
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = Finding(last.start, max(last.end, span.end), last.reason)
        else:
            merged.append(span)
    return merged


def secret_reason(name: str, value: str) -> str | None:
    """Why an environment entry is secret (by name first, then by value), or None."""
    if value and is_secret_name(name):
        return f"name {name}"
    findings = find_secrets(value)
    return findings[0].reason if findings else None


def mask(value: str, length_hint: bool = True) -> str:
    """The mask shown instead of a secret: never any of its characters."""
    return f"{MASK} ({len(value)} chars)" if length_hint else MASK


def mask_text(text: str) -> tuple[str, bool]:
    """text with every secret-looking span masked, and whether anything was."""
    findings = find_secrets(text)
    if not findings:
        return text, False
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        parts += [text[cursor : finding.start], MASK]
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts), True


# Tools that take a password as the next argument (or glued to the flag) at these options.
PASSWORD_OPTIONS: dict[str, frozenset[str]] = {
    "sshpass": frozenset({"-p"}),
    "redis-cli": frozenset({"-a"}),
    "mongo": frozenset({"-p"}),
    "mongosh": frozenset({"-p"}),
    "mongodump": frozenset({"-p"}),
    "mongorestore": frozenset({"-p"}),
    "docker": frozenset({"-p"}),  # docker login -p
    "podman": frozenset({"-p"}),
    "nerdctl": frozenset({"-p"}),
    "openssl": frozenset({"-pass", "-passin", "-passout", "-k", "-kfile"}),
    "ldapsearch": frozenset({"-w"}),
    "ldapmodify": frozenset({"-w"}),
    "ldapadd": frozenset({"-w"}),
    "ldapdelete": frozenset({"-w"}),
    "zip": frozenset({"-P"}),
    "unzip": frozenset({"-P"}),
}
# MySQL-family clients (and 7z, unrar) take the password glued to -p (`-psecret`); a bare `-p` prompts.
GLUED_P_TOOLS = frozenset({"mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mariadb",
                           "mariadb-dump", "mariadb-admin", "mysqlcheck", "mysqlpump", "7z", "7za",
                           "unrar"})  # fmt: skip
# Options whose value is `user:password` (curl -u, wget --user, smbclient -U user%pass).
USER_PASS_OPTIONS = frozenset({"-u", "--user", "--proxy-user", "-U"})
_LONG_OPTION = re.compile(r"^(--?[A-Za-z][A-Za-z0-9_\-.]*)=(.*)$", re.S)
_ENV_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def _tool(arg0: str) -> str:
    return arg0.rsplit("/", 1)[-1]


def _mask_user_pass(value: str) -> str:
    for separator in (":", "%"):
        user, sep, password = value.partition(separator)
        if sep and password:
            return f"{user}{sep}{MASK}"
    return value


def mask_cmdline(args: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A command line with passwords, tokens and credential-shaped arguments masked.
    Cached: the process list masks every command line at every refresh, and they rarely change."""
    return _mask_cmdline(tuple(args))


@lru_cache(maxsize=8192)
def _mask_cmdline(args: tuple[str, ...]) -> tuple[str, ...]:
    if not args:
        return args
    tool = _tool(args[0])
    value_options = PASSWORD_OPTIONS.get(tool, frozenset())
    out: list[str] = [args[0]]
    mask_next = False
    user_pass_next = False
    for arg in args[1:]:
        if mask_next:
            out.append(MASK)
            mask_next = False
            continue
        if user_pass_next:
            out.append(_mask_user_pass(arg))
            user_pass_next = False
            continue
        option = _LONG_OPTION.match(arg)
        assignment = _ENV_ASSIGNMENT.match(arg)
        if option and option.group(1) in USER_PASS_OPTIONS:
            out.append(f"{option.group(1)}={_mask_user_pass(option.group(2))}")
        elif option and option.group(2) and (
            is_secret_name(option.group(1).lstrip("-")) or option.group(1) in value_options
        ):
            out.append(f"{option.group(1)}={MASK}")
        elif assignment and assignment.group(2) and is_secret_name(assignment.group(1)):
            out.append(f"{assignment.group(1)}={MASK}")
        elif arg in value_options or (
            arg.startswith("--") and is_secret_name(arg[2:]) and _takes_value(arg) and tool not in GLUED_P_TOOLS
        ):
            out.append(arg)
            mask_next = True
        elif arg in USER_PASS_OPTIONS and tool in ("curl", "wget", "smbclient", "lftp"):
            out.append(arg)
            user_pass_next = True
        elif tool in GLUED_P_TOOLS and arg.startswith("-p") and len(arg) > 2 and not arg.startswith("--"):
            out.append("-p" + MASK)
        else:
            out.append(mask_text(arg)[0])
    return tuple(out)


def _takes_value(option: str) -> bool:
    # `--password` alone may be a prompt switch (mysql); `--no-password`, `--password-stdin` are switches.
    words = name_words(option[2:])
    return words[0] != "NO" and words[-1] not in {"STDIN", "PROMPT", "STORE"}
