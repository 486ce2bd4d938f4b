"""Who may see and change what: API keys with roles, their scopes, and the audit log of writes.

    key = create_key(store, role="rep", user_id="usr_0042", created_by="ana")   # the key, shown once
    ring = KeyRing.load(store)
    principal = ring.principal("rvk_...")      # None: no such key (or revoked)
    principal.sees("usr_0042")                 # a rep sees only their own records

Roles: ``admin`` (everything, keys included), ``ops`` (every record, every write but keys),
``manager`` (their team's records: the users of the teams they manage, the users who report to
them, and themselves) and ``rep`` (their own records). Keys are stored as SHA-256 hashes: a key
is 190 random bits, so a fast hash is enough (no password stretching needed) and a stolen
store file yields no usable key.
"""

from revops.access.keys import ROLES, KeyError_, KeyRing, create_key, list_keys, revoke_key
from revops.access.principal import Principal

__all__ = ["ROLES", "KeyError_", "KeyRing", "Principal", "create_key", "list_keys", "revoke_key"]
