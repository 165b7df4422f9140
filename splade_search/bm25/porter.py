"""The Porter stemmer exactly as Lucene's ``PorterStemFilter`` applies it.

Lucene's ``PorterStemmer`` is Martin Porter's reference C implementation, which departs from the
1980 paper in a few places (``-bli`` -> ``-ble`` instead of ``-abli`` -> ``-able``, an extra
``-logi`` -> ``-log`` rule, words of one or two letters left alone). Snowball's ``porter`` (and
PyStemmer) follow the paper instead, so they disagree with Lucene on words such as ``technology``,
``assembly`` or ``us``; this port agrees with Lucene on every one of the 62,894 distinct tokens of
BEIR SciFact and ArguAna (see ``eval/bm25.md``).
"""

from __future__ import annotations

from functools import lru_cache

_VOWELS = frozenset("aeiou")

_STEP3 = {
    "a": (("ational", "ate"), ("tional", "tion")),
    "c": (("enci", "ence"), ("anci", "ance")),
    "e": (("izer", "ize"),),
    "l": (("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")),
    "o": (("ization", "ize"), ("ation", "ate"), ("ator", "ate")),
    "s": (("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")),
    "t": (("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")),
    "g": (("logi", "log"),),
}
_STEP4 = {
    "e": (("icate", "ic"), ("ative", ""), ("alize", "al")),
    "i": (("iciti", "ic"),),
    "l": (("ical", "ic"), ("ful", "")),
    "s": (("ness", ""),),
}
_STEP5 = {
    "a": ("al",),
    "c": ("ance", "ence"),
    "e": ("er",),
    "i": ("ic",),
    "l": ("able", "ible"),
    "n": ("ant", "ement", "ment", "ent"),
    "o": ("ion", "ou"),
    "s": ("ism",),
    "t": ("ate", "iti"),
    "u": ("ous",),
    "v": ("ive",),
    "z": ("ize",),
}


@lru_cache(maxsize=1 << 18)
def porter_stem(word: str) -> str:
    """The stem Lucene's ``PorterStemFilter`` gives ``word`` (expected in lower case)."""
    if len(word) <= 2:
        return word
    return _Stemmer(word).stem()


class _Stemmer:
    """One word being stemmed: ``b`` holds its letters, ``k`` the index of its last letter."""

    def __init__(self, word: str) -> None:
        self.b = list(word)
        self.k = len(word) - 1
        self.j = 0

    def stem(self) -> str:
        self.step1()
        self.step2()
        self.step3()
        self.step4()
        self.step5()
        self.step6()
        return "".join(self.b[: self.k + 1])

    def cons(self, i: int) -> bool:
        """Whether the letter at ``i`` is a consonant (``y`` is one after a vowel or at the start)."""
        ch = self.b[i]
        if ch in _VOWELS:
            return False
        if ch == "y":
            return i == 0 or not self.cons(i - 1)
        return True

    def m(self) -> int:
        """The number of consonant-vowel sequences in ``b[0..j]``."""
        n, i, j = 0, 0, self.j
        while True:
            if i > j:
                return n
            if not self.cons(i):
                break
            i += 1
        i += 1
        while True:
            while True:
                if i > j:
                    return n
                if self.cons(i):
                    break
                i += 1
            i += 1
            n += 1
            while True:
                if i > j:
                    return n
                if not self.cons(i):
                    break
                i += 1
            i += 1

    def vowel_in_stem(self) -> bool:
        return any(not self.cons(i) for i in range(self.j + 1))

    def double_consonant(self, j: int) -> bool:
        return j >= 1 and self.b[j] == self.b[j - 1] and self.cons(j)

    def cvc(self, i: int) -> bool:
        """Whether ``b[i-2..i]`` is consonant-vowel-consonant with the last not ``w``, ``x`` or ``y``."""
        if i < 2 or not self.cons(i) or self.cons(i - 1) or not self.cons(i - 2):
            return False
        return self.b[i] not in "wxy"

    def ends(self, suffix: str) -> bool:
        """Whether the word ends with ``suffix``; if so ``j`` marks the letter before it."""
        start = self.k - len(suffix) + 1
        if start < 0 or "".join(self.b[start : self.k + 1]) != suffix:
            return False
        self.j = self.k - len(suffix)
        return True

    def set_to(self, replacement: str) -> None:
        start = self.j + 1
        self.b[start : start + len(replacement)] = list(replacement)
        self.k = self.j + len(replacement)

    def replace(self, replacement: str) -> None:
        if self.m() > 0:
            self.set_to(replacement)

    def step1(self) -> None:
        """Plurals, -ed and -ing."""
        if self.b[self.k] == "s":
            if self.ends("sses"):
                self.k -= 2
            elif self.ends("ies"):
                self.set_to("i")
            elif self.b[self.k - 1] != "s":
                self.k -= 1
        if self.ends("eed"):
            if self.m() > 0:
                self.k -= 1
        elif (self.ends("ed") or self.ends("ing")) and self.vowel_in_stem():
            self.k = self.j
            if self.ends("at"):
                self.set_to("ate")
            elif self.ends("bl"):
                self.set_to("ble")
            elif self.ends("iz"):
                self.set_to("ize")
            elif self.double_consonant(self.k):
                if self.b[self.k] not in "lsz":
                    self.k -= 1
            elif self.m() == 1 and self.cvc(self.k):
                self.set_to("e")

    def step2(self) -> None:
        """Terminal y to i when the stem has another vowel."""
        if self.ends("y") and self.vowel_in_stem():
            self.b[self.k] = "i"

    def step3(self) -> None:
        """Double suffixes to single ones (-ization -> -ize ...)."""
        if self.k == 0:
            return
        for suffix, replacement in _STEP3.get(self.b[self.k - 1], ()):
            if self.ends(suffix):
                self.replace(replacement)
                return

    def step4(self) -> None:
        """-ic-, -full, -ness and the like."""
        for suffix, replacement in _STEP4.get(self.b[self.k], ()):
            if self.ends(suffix):
                self.replace(replacement)
                return

    def step5(self) -> None:
        """-ant, -ence and the like, in context <c>vcvc<v>."""
        if self.k == 0:
            return
        for suffix in _STEP5.get(self.b[self.k - 1], ()):
            if self.ends(suffix):
                if suffix == "ion" and not (self.j >= 0 and self.b[self.j] in "st"):
                    continue
                if self.m() > 1:
                    self.k = self.j
                return

    def step6(self) -> None:
        """A final -e, and -ll to -l, when the measure allows."""
        self.j = self.k
        if self.b[self.k] == "e":
            measure = self.m()
            if measure > 1 or (measure == 1 and not self.cvc(self.k - 1)):
                self.k -= 1
        if self.b[self.k] == "l" and self.double_consonant(self.k) and self.m() > 1:
            self.k -= 1
