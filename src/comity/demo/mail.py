"""Realistic synthetic mail for the demo and the benchmark, the same bytes for the same seed.

Messages are built with the standard library's ``email`` package the way a mail client would send
them: plain and HTML alternatives, attachments, RFC 2047 non-ASCII headers, and threads linked by
In-Reply-To and References. MIME boundaries are derived from the seed so output is reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

PEOPLE = [
    ("Zoë Müller", "zoe.mueller@example.de"),
    ("Seán Ó Briain", "sean.obriain@example.ie"),
    ("Ana Gómez", "ana.gomez@example.es"),
    ("François Lefèvre", "francois@example.fr"),
    ("Łukasz Wiśniewski", "lukasz@example.pl"),
    ("山田 太郎", "taro.yamada@example.jp"),
    ("Priya Raman", "priya@example.co.uk"),
    ("Jack Wilson", "jack@example.com.au"),
    ("Dana Smith", "dana.smith@example.com"),
    ("Björn Ångström", "bjorn@example.se"),
]
SUBJECTS = [
    "Quarterly figures",
    "Réunion de lundi",
    "Urlaubsplanung für Dezember",
    "Invoice 2013-{n}",
    "Flight details",
    "Photos from the weekend",
    "Contract draft v{n}",
    "Übergabe der Schlüssel",
    "Lunch?",
    "会議の議事録",
]
_TEXT = (
    "the report attached figures meeting budget schedule please review agreed draft team "
    "deadline client shipment invoice travel plans weekend thanks regards update notes call "
    "Dublin Berlin Sydney London Seattle contract signature approval question answer"
)
WORDS = _TEXT.split()


def _paragraphs(rng: random.Random, count: int) -> str:
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(20, 70))]
        out.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(out)


def _attachment(rng: random.Random, size: int) -> tuple[bytes, str, str, str]:
    kind = rng.choice(["pdf", "csv", "jpeg"])
    if kind == "csv":
        rows = [
            f"2013-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.randint(1, 9999)},EUR"
            for _ in range(40)
        ]
        lines = ["date,amount,currency"] + rows * max(1, size // (24 * 40))
        return "\n".join(lines).encode(), "text", "csv", "figures.csv"
    head = b"%PDF-1.4\n" if kind == "pdf" else b"\xff\xd8\xff\xe0\x00\x10JFIF"
    body = head + rng.randbytes(size)
    if kind == "pdf":
        return body, "application", "pdf", "scan-übersicht.pdf"
    return body, "image", "jpeg", "IMG_2013.jpg"


def synthetic_messages(
    rng: random.Random,
    owner: tuple[str, str],
    count: int,
    start: datetime,
    *,
    attachment_rate: float = 0.25,
    max_attachment: int = 200_000,
) -> Iterator[bytes]:
    """``count`` messages to and from ``owner``, some in threads, as RFC 5322 bytes (CRLF)."""
    threads: list[tuple[str, str, list[str]]] = []  # (subject, peer address, message ids)
    when = start
    for n in range(count):
        when += timedelta(minutes=rng.randint(5, 60 * 36))
        peer = rng.choice(PEOPLE)
        msg = EmailMessage()
        reply_to = rng.choice(threads) if threads and rng.random() < 0.35 else None
        fresh = rng.choice(SUBJECTS).format(n=n)
        subject = fresh if reply_to is None else "Re: " + reply_to[0]
        incoming = rng.random() < 0.6
        sender, recipient = (peer, owner) if incoming else (owner, peer)
        msg["From"] = f"{sender[0]} <{sender[1]}>"
        msg["To"] = f"{recipient[0]} <{recipient[1]}>"
        if rng.random() < 0.3:
            other = rng.choice(PEOPLE)
            msg["Cc"] = f"{other[0]} <{other[1]}>"
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when.astimezone(UTC))
        message_id = f"<{rng.getrandbits(64):016x}.{n}@{sender[1].split('@')[1]}>"
        msg["Message-ID"] = message_id
        if reply_to is not None:
            msg["In-Reply-To"] = reply_to[2][-1]
            msg["References"] = " ".join(reply_to[2][-5:])
            reply_to[2].append(message_id)
        else:
            threads.append((subject, peer[1], [message_id]))
        text = f"Hello {recipient[0].split()[0]},\n\n{_paragraphs(rng, rng.randint(1, 6))}\n\n"
        text += f"-- \n{sender[0]}\n"
        msg.set_content(text)
        if rng.random() < 0.5:
            html = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
            msg.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
        if rng.random() < attachment_rate:
            size = min(max_attachment, int(rng.lognormvariate(10, 1.2)))
            data, maintype, subtype, filename = _attachment(rng, size)
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        for i, part in enumerate(msg.walk()):
            if part.is_multipart():
                part.set_boundary(f"=_comity_{rng.getrandbits(48):012x}_{i}")
        yield msg.as_bytes(policy=policy.SMTP)


def mbox_lines(messages: Iterator[bytes]) -> Iterator[bytes]:
    """The mbox form of ``messages`` (mboxo: body lines starting 'From ' are quoted)."""
    for data in messages:
        yield b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
        for line in data.splitlines(keepends=True):
            yield b">" + line if line.startswith(b"From ") else line
        yield b"\n"


DEMO_EPOCH = datetime(2013, 1, 7, 9, 0, tzinfo=UTC)
