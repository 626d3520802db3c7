"""Domain errors; each edge maps them to a status code or a CLI message."""


class DomainError(Exception):
    """Base for errors a user can act on; the message says what to do."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The action does not fit the item's current state (claimed by someone else, already resolved)."""


class Forbidden(DomainError):
    pass


class Invalid(DomainError):
    pass
