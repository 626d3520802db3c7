"""Repliers for the community platforms we poll: Reddit (comment API) and YouTube (comments.insert)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from triage.core.message import Message
from triage.replies.senders.base import (
    ReplyAuthError,
    ReplyReceipt,
    ReplyRejected,
    ReplyTemporary,
    post,
)
from triage.replies.senders.http import HttpReplier

REDDIT_THROTTLE_ERRORS = {"RATELIMIT"}  # "you are doing that too much. try again in 5 minutes."


class RedditReplyConfig(BaseModel):
    """The same app credentials the poller reads; the refresh token needs the `submit` scope."""

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    user_agent: str
    api_base: str = "https://oauth.reddit.com"
    token_url: str = "https://www.reddit.com/api/v1/access_token"


class RedditReplier(HttpReplier):
    """POST /api/comment with the parent's fullname: answers posts, comments and private messages."""

    slug = "reddit"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        agent = {"User-Agent": self.config.user_agent}
        response = post(self.http, f"{self.config.api_base.rstrip('/')}/api/comment",
                        now=self.clock(), data={"api_type": "json", "thing_id": in_reply_to,
                                                "text": text},
                        headers={**agent, "Authorization": f"bearer {self._token(agent)}"})
        body = response.json().get("json", {})
        errors = body.get("errors") or []
        if errors:  # [["RATELIMIT", "you are doing that too much...", "ratelimit"], ...]
            code = str(errors[0][0]) if errors[0] else "unknown"
            kind = ReplyTemporary if code in REDDIT_THROTTLE_ERRORS else ReplyRejected
            raise kind(f"Reddit refused the comment: {errors[0]}")
        things = (body.get("data") or {}).get("things") or [{}]
        return self._receipt(thread, in_reply_to, (things[0].get("data") or {}).get("name"), body)

    def _token(self, agent: dict[str, str]) -> str:
        response = post(self.http, self.config.token_url, now=self.clock(),
                        auth=(self.config.client_id, self.config.client_secret.get_secret_value()),
                        data={"grant_type": "refresh_token",
                              "refresh_token": self.config.refresh_token.get_secret_value()},
                        headers=agent)
        body = response.json()
        if "access_token" not in body:  # {"error": "invalid_grant"}: the refresh token was revoked
            raise ReplyAuthError(f"Reddit refused the refresh token: {body.get('error', body)}")
        return body["access_token"]


class YouTubeReplyConfig(BaseModel):
    """An OAuth access token with the youtube.force-ssl scope (an API key cannot post)."""

    access_token: SecretStr
    api_base: str = "https://www.googleapis.com/youtube/v3"


class YouTubeReplier(HttpReplier):
    """comments.insert with the thread's top-level comment as parentId."""

    slug = "youtube"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        try:
            response = post(self.http, f"{self.config.api_base.rstrip('/')}/comments",
                            now=self.clock(), params={"part": "snippet"},
                            json={"snippet": {"parentId": thread, "textOriginal": text}},
                            headers=self._bearer())
        except ReplyAuthError as exc:  # YouTube says 403 quotaExceeded for a spent daily quota
            if "quotaExceeded" in str(exc):
                raise ReplyTemporary("YouTube daily quota exceeded", retry_after=3600.0) from exc
            raise
        body = response.json()
        return self._receipt(thread, in_reply_to, body.get("id"), body)


