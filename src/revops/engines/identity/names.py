"""How companies, domains, e-mail addresses and people are written down, normalised so that two
spellings of one entity compare equal.

    company_key("Acme, Inc.")            -> "acme"
    company_key("Barnes & Noble GmbH")   -> "barnes and noble"
    company_compact("Birch Front Labs")  -> "birchfrontlabs"   (spaces dropped: "BirchFront")
    acronym("International Business Machines Corp") -> "ibm"
    domain_key("https://www.Acme.com/pricing")      -> "acme.com"
    email_parts(" Ana_Lopez@ACME_com ")  -> EmailParts(local="ana_lopez", local_key="analopez", domain="acme.com")
    first_name_key("Bob") == first_name_key("Robert") -> "robert"

The same functions feed the duplicate finder (``prepare``) and lead-to-account matching
(``accounts``), so both read a name the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com",
    "rocketmail.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com",
    "aol.com", "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.de",
    "gmx.net", "gmx.com", "web.de", "t-online.de", "mail.com", "yandex.ru", "yandex.com", "mail.ru",
    "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "orange.fr",
    "free.fr", "laposte.net", "libero.it", "comcast.net", "verizon.net", "att.net", "btinternet.com",
})
"""Personal e-mail providers: their domain says nothing about the company a person works for."""

LEGAL_FORMS = frozenset({
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "gmbh", "mbh", "ag", "co", "corp",
    "corporation", "company", "plc", "sa", "sas", "sarl", "bv", "nv", "pty", "pte", "pvt", "private",
    "srl", "spa", "oy", "oyj", "ab", "as", "asa", "aps", "kk", "kg", "se", "sl", "sro", "lda", "ulc",
    "pc", "pllc",
})
"""Legal forms (and "company") dropped from the end of a name."""

_SPARE_WORDS = frozenset({"the", "and", "of", "for", "de", "der", "la", "le", "et", "und"})
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_DOMAIN_CHARS = re.compile(r"[^0-9a-z.\-]")


def fold(text: str) -> str:
    """Lower case without accents: "Société Générale" -> "societe generale"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def company_words(name: Any) -> list[str]:
    """The words of a company name: folded, ``&`` read as ``and``, punctuation dropped, a
    leading "the" and trailing legal forms removed ("Acme, Inc." -> ["acme"])."""
    if not isinstance(name, str):
        return []
    text = fold(name.replace("&", " and ")).replace(".", "").replace("'", "").replace("’", "")
    words = [w for w in _NOT_WORD.split(text) if w]
    if words and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    if len(words) == 1 and words[0] in LEGAL_FORMS:
        return []
    return words


def company_key(name: Any) -> str | None:
    """The normalised company name, or None when nothing is left (empty, only a legal form)."""
    words = company_words(name)
    return " ".join(words) if words else None


def company_compact(name: Any) -> str | None:
    """The normalised name without spaces: "Birch Front" and "BirchFront" agree."""
    words = company_words(name)
    return "".join(words) if words else None


def company_tokens(name: Any) -> list[str]:
    """Name words with camel case split first ("ChevronTexaco" -> ["chevron", "texaco"])."""
    if not isinstance(name, str):
        return []
    return company_words(_CAMEL.sub(" ", name))


def has_camel_case(name: str) -> bool:
    """A lower-case letter followed by a capital: "ChevronTexaco", "PayPal"."""
    return _CAMEL.search(name) is not None


def acronym(name: Any) -> str | None:
    """Initials of a name of three or more significant words ("International Business Machines"
    -> "ibm"); None for shorter names, whose initials say too little."""
    return initials(company_words(name))


def initials(words: list[str]) -> str | None:
    """``acronym`` of a name already split into ``company_words``."""
    significant = [w for w in words if w not in _SPARE_WORDS]
    return "".join(w[0] for w in significant) if len(significant) >= 3 else None


def domain_key(value: Any) -> str | None:
    """A web domain, URL or e-mail address as a bare lower-case domain without ``www.``."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = text.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].replace("_", ".").rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    text = _DOMAIN_CHARS.sub("", text)
    return text if "." in text else None


def business_domain(value: Any) -> str | None:
    """The domain of a web address or e-mail, unless it is a free-mail provider's."""
    domain = domain_key(value)
    return None if domain is None or domain in FREE_MAIL_DOMAINS else domain


@dataclass(frozen=True, slots=True)
class EmailParts:
    local: str
    """The mailbox as written, lower case: "ana.lopez+news"."""
    local_key: str
    """The mailbox without +tags and without '.', '_' and '-': "analopez"."""
    domain: str | None


def email_parts(value: Any) -> EmailParts | None:
    """An e-mail address in parts, read leniently: spaces, case and a '_' typed for a '.' in the
    domain do not matter."""
    if not isinstance(value, str) or "@" not in value:
        return None
    local, _, domain = value.strip().lower().rpartition("@")
    local = local.strip()
    if not local:
        return None
    key = re.sub(r"[._\-]", "", local.split("+", 1)[0])
    return EmailParts(local, key or local, domain_key(domain))


# Common English given names and their short forms: the key of a first name is its full form.
_NICKNAMES: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"), "william": ("bill", "billy", "will", "willy", "liam"),
    "richard": ("rick", "ricky", "dick", "rich", "richie"), "james": ("jim", "jimmy", "jamie"),
    "michael": ("mike", "mikey", "mick"), "elizabeth": ("liz", "beth", "betty", "eliza", "lizzie", "libby"),
    "jennifer": ("jen", "jenny", "jenn"), "katherine": ("kate", "kathy", "katie", "kat", "kathryn"),
    "catherine": ("cathy", "cat"), "christopher": ("chris", "topher"), "christine": ("chrissy",),
    "joseph": ("joe", "joey"), "thomas": ("tom", "tommy"), "daniel": ("dan", "danny"),
    "matthew": ("matt", "matty"), "anthony": ("tony",), "steven": ("steve", "stevie"), "stephen": ("steph",),
    "andrew": ("andy", "drew"), "kimberly": ("kim", "kimmy"), "rebecca": ("becky", "becca"),
    "nicholas": ("nick", "nicky"), "samuel": ("sam", "sammy"), "alexander": ("alex", "xander", "sasha"),
    "jonathan": ("jon", "johnny"), "margaret": ("maggie", "meg", "peggy", "marge"),
    "patricia": ("pat", "patty", "trish"), "benjamin": ("ben", "benny"), "gregory": ("greg",),
    "timothy": ("tim", "timmy"), "victoria": ("vicky", "tori"), "zachary": ("zach", "zack"),
    "abigail": ("abby", "abbie"), "edward": ("ed", "eddie", "ted", "ned"), "charles": ("charlie", "chuck"),
    "david": ("dave", "davey"), "donald": ("don", "donnie"), "ronald": ("ron", "ronnie"),
    "kenneth": ("ken", "kenny"), "lawrence": ("larry",), "gerald": ("gerry", "jerry"),
    "raymond": ("ray",), "peter": ("pete",), "douglas": ("doug",), "frederick": ("fred", "freddie"),
    "jeffrey": ("jeff",), "joshua": ("josh",), "nathan": ("nate",), "nathaniel": ("nat",),
    "phillip": ("phil",), "philip": ("pip",), "samantha": ("sammie",), "susan": ("sue", "susie"),
    "deborah": ("debbie", "deb"), "dorothy": ("dot", "dottie"), "jacqueline": ("jackie",),
    "pamela": ("pam",), "cynthia": ("cindy",), "alexandra": ("lexi",), "jessica": ("jess", "jessie"),
    "theodore": ("theo",), "frances": ("fran",), "francis": ("frank",), "henry": ("hank", "harry"),
    "john": ("jack",), "judith": ("judy",), "barbara": ("barb",), "madeline": ("maddie", "maddy"),
    "valerie": ("val",), "vincent": ("vince", "vinny"), "walter": ("walt", "wally"),
    "leonard": ("leo", "len", "lenny"), "russell": ("russ",), "eugene": ("gene",), "albert": ("al", "bertie"),
}
NICKNAMES: dict[str, str] = {short: full for full, shorts in _NICKNAMES.items() for short in shorts}
"""Short form -> full form of a given name ("bob" -> "robert")."""


def person_key(value: Any) -> str | None:
    """A person's name part folded to letters only: "O'Brien " -> "obrien", "J." -> "j"."""
    if not isinstance(value, str):
        return None
    text = re.sub(r"[^a-z]", "", fold(value))
    return text or None


def first_name_key(value: Any) -> str | None:
    """A first name as its full form: "Bob", "BOB" and "Robert" are all "robert"."""
    key = person_key(value)
    return NICKNAMES.get(key, key) if key else None


def phone_key(value: Any) -> str | None:
    """The last ten digits of a phone number (country prefixes and formatting dropped), None
    when fewer than seven digits are left."""
    if not isinstance(value, str):
        return None
    digits = re.sub(r"\D", "", value)
    return digits[-10:] if len(digits) >= 7 else None
