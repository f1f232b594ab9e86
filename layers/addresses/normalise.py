"""Normalise Chinese address text for matching: what varies between how people write the same
address must not count against a match."""
import re
import unicodedata

# City and district prefixes people often leave out (or put in); dropped from both sides.
_PREFIX = re.compile(r"^(中国)?(\w{2,3}?[省市])?(\w{1,4}?(?:新区|区|县))?")
_VARIANTS = [
    (re.compile(r"号楼|幢|座|栋楼"), "栋"),   # building: 3号楼 = 3幢 = 3座 = 3栋
    (re.compile(r"(\d+)(?:室|号房)"), r"\1室"),  # room: 301号房 = 301室
    (re.compile(r"衖|里弄"), "弄"),           # lane
    (re.compile(r"號"), "号"),
]
_SPACE = re.compile(r"[\s,，、·\-—_()（）]+")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def normalise_address(text: str) -> str:
    """Full-width to half-width (NFKC), no spaces or punctuation, 幢/座/号楼 -> 栋, no city or
    district prefix, digits in numbers as Arabic."""
    s = unicodedata.normalize("NFKC", text or "").strip()
    s = _SPACE.sub("", s)
    s = _PREFIX.sub("", s, count=1) if re.match(r"^(中国)?\w{2,3}?[省市]|^\w{1,4}?(新区|区|县)", s) else s
    for pattern, repl in _VARIANTS:
        s = pattern.sub(repl, s)
    # "一二三" inside numbers (三弄, 十二号) is rare in standard addresses; only map single digits
    # that stand before 号/弄/栋/室.
    s = re.sub(r"([〇零一二三四五六七八九])(?=[号弄栋室])", lambda m: m.group(1).translate(_CN_DIGITS), s)
    return s.lower()
