"""Word bags for matching a message against tool names, descriptions and documents."""

from __future__ import annotations

import re

# Function words, and words every tool-using request shares ("use the tools provided"), carry no
# evidence that one tool fits better than another.
STOP = set(
    """a an the and or of to in on at for from by with about into is are was were be been am i you
we my our your it its this that these those what which who how when where why can could would should do
does did please use using tools tool provided provide me us get gets find give show tell let any some
all there their them is it's if not no yes then than as up out much many also just like want need know
s so very will shall may might must has have had being each every other only own same too here""".split()
)


def content_words(text: str) -> set[str]:
    """Lower-case content words of `text`, split on non-letters and snake/camel case, plural 's' dropped."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    words = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOP or len(word) < 2:
            continue
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    return words
