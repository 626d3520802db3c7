"""Demo traffic that arrives the slow way: blog comments in a feed and support mail in a mailbox,
both served locally by `triage up` and taken by the real RSS and IMAP pollers through RQ."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

from triage.config import DEMO_BLOG, DEMO_MAILBOX, Settings
from triage.devstack.demo_blog import BLOG_URL, BlogFeed, BlogServer, Comment
from triage.devstack.mailbox_server import MailboxError, MailboxServer, available, deliver

POSTS = [("Release 4.2: faster sync", "2026/03/release-4-2"),
         ("Team plans are changing in April", "2026/03/team-plans"),
         ("How we run our status page", "2026/02/status-page")]
COMMENTS = [  # (post index, author, e-mail, text)
    (0, "Marta Silva", "marta@example.org",
     "Since 4.2 synced, a week of my notes is gone from every device. Is there any way to restore them?"),
    (0, "Kenji Ito", "kenji@example.net", "Sync is noticeably faster on my phone, nice work."),
    (1, "Laura Becker", "laura@example.com",
     "We have 60 seats on the current plan. Does the new price apply at renewal or right away?"),
    (1, "Tom Okafor", "tom@example.org",
     "Another price rise? If this goes through we'll be cancelling and moving the team elsewhere."),
    (2, "Ines Duarte", "ines@example.com", "Where do I subscribe to status updates by e-mail?"),
    (0, "Marta Silva", "marta@example.org",
     "Still no answer here or by e-mail, and the notes are still missing. Please help."),
]
MAIL_DOMAIN = "mail.example.org"


@dataclass(frozen=True)
class SupportMail:
    sender: str
    subject: str
    body: str
    reply_to: int | None = None  # index of the earlier mail this answers
    quote: str = ""


MAILS = [
    SupportMail("Priya Nair <priya.nair@example.org>", "Charged twice for my March invoice",
                "Hello,\n\nMy card was charged twice for invoice 2026-0311 (2 x 49 EUR). "
                "Could you refund the duplicate?\n\nThanks,\nPriya"),
    SupportMail("Daniel Roth <d.roth@example.com>", "Account locked after password reset",
                "Hi, I reset my password this morning and now the account says it is locked. "
                "I have a client demo in two hours and can't log in at all. Please unlock it urgently."),
    SupportMail("Amara Obi <amara@example.net>", "Quote for 120 seats",
                "Good morning,\n\nWe are evaluating your business plan for about 120 people. "
                "Could someone send us a quote and tell us about SSO?\n\nBest regards,\nAmara Obi"),
    SupportMail("Priya Nair <priya.nair@example.org>", "Re: Charged twice for my March invoice",
                "Any update on this? The second charge is still on my statement.\n\nPriya",
                reply_to=0, quote="My card was charged twice for invoice 2026-0311 (2 x 49 EUR)."),
    SupportMail("Jonas Berg <jonas.berg@example.com>", "Thanks for the webinar",
                "Just wanted to say the onboarding webinar yesterday was really useful. Thanks!"),
]


def blog_comments(*, now: datetime, seed: int) -> list[Comment]:
    """The demo's comments, oldest first, minutes apart, with ids unique to this seed."""
    rng = random.Random(seed)
    start = now - timedelta(minutes=5 * len(COMMENTS))
    out = []
    for i, (post, author, email, text) in enumerate(COMMENTS):
        title, slug = POSTS[post]
        out.append(Comment(id=f"tag:blog.example.com,2026:comment-{seed}-{i}",
                           post=f"{BLOG_URL}/{slug}/", post_title=title, author=author, email=email,
                           text=text, published=start + timedelta(minutes=5 * i,
                                                                  seconds=rng.randrange(60))))
    return out


def support_mails(*, now: datetime, seed: int, to: str) -> list[bytes]:
    """The demo's support mails as raw RFC 5322 bytes; the follow-up threads via In-Reply-To."""
    ids: list[str] = []
    out = []
    for i, spec in enumerate(MAILS):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = spec.sender, to, spec.subject
        msg["Date"] = format_datetime(now - timedelta(minutes=7 * (len(MAILS) - i)))
        msg["Message-ID"] = f"<demo-{seed}-{i}@{MAIL_DOMAIN}>"
        body = spec.body
        if spec.reply_to is not None:
            parent = ids[spec.reply_to]
            msg["In-Reply-To"], msg["References"] = parent, parent
            body += f"\n\nOn {msg['Date']}, {MAILS[spec.reply_to].sender} wrote:\n> {spec.quote}\n"
        msg.set_content(body)
        ids.append(msg["Message-ID"])
        out.append(msg.as_bytes())
    return out


@dataclass
class DemoChannels:
    """The local blog and mailbox `triage up` runs, and what it could not start (said plainly)."""

    blog: BlogServer | None = None
    mailbox: MailboxServer | None = None
    skipped: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.blog is not None:
            self.blog.stop()
        if self.mailbox is not None:
            self.mailbox.stop()


def start_demo_channels(settings: Settings) -> DemoChannels:
    """Start the blog and the mailbox the demo sources point at; a missing dovecot skips mail only."""
    out = DemoChannels()
    blog = settings.sources.get(DEMO_BLOG)
    if blog is not None and blog.channel == "rss":
        port, feed = urlsplit(str(blog.options["url"])).port, _feed(settings)
        if not feed.feed.exists():
            feed.publish([])  # the blog exists before anyone comments: the first poll finds a feed
        try:
            out.blog = BlogServer(feed, port=port).start()
        except OSError as exc:
            out.skipped.append(f"demo blog: cannot listen on port {port} ({exc.strerror})")
    mailbox = settings.sources.get(DEMO_MAILBOX)
    if mailbox is not None and mailbox.channel == "imap":
        if not available():
            out.skipped.append("demo e-mail: dovecot is not installed (apt-get install dovecot-imapd, "
                               "or `make run` as root), so the IMAP path is skipped")
        else:
            opts = mailbox.options
            try:
                out.mailbox = MailboxServer(settings.data_dir / "mailbox", port=int(opts["port"]),
                                            users={str(opts["username"]): str(opts["password"])}).start()
            except MailboxError as exc:
                out.skipped.append(f"demo e-mail: {exc}")
    return out


def publish_demo(settings: Settings, channels: DemoChannels, *, now: datetime,
                 seed: int) -> tuple[int, int]:
    """New comments into the feed and mails into the mailbox; returns (comments, mails)."""
    comments = mails = 0
    if channels.blog is not None:
        new = blog_comments(now=now, seed=seed)
        _feed(settings).publish(new)
        comments = len(new)
    if channels.mailbox is not None:
        user = str(settings.sources[DEMO_MAILBOX].options["username"])
        mails = deliver(channels.mailbox.account(user),
                        support_mails(now=now, seed=seed, to=f"{user}@{MAIL_DOMAIN}"))
    return comments, mails


def _feed(settings: Settings) -> BlogFeed:
    return BlogFeed(Path(settings.data_dir) / "demo" / "blog")
