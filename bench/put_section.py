#!/usr/bin/env python3
"""put_section.py BENCHMARKS.md SECTION_FILE NAME: replace the part of the
file between <!-- NAME:begin --> and <!-- NAME:end --> with SECTION_FILE
(which holds those markers), or append it; every other section is kept and
a missing file is created with a title.  Used by the bench/run*.sh scripts."""
import os
import re
import sys

path, section_file, name = sys.argv[1], sys.argv[2], sys.argv[3]
section = open(section_file).read()
text = (open(path).read() if os.path.exists(path) else
        "# remdb benchmarks\n\nFigures from a shared 2-core machine; ratios "
        "are against peers measured in the same run.\n")
pat = re.compile(r"<!-- %s:begin -->.*?<!-- %s:end -->\n?" % (name, name), re.S)
if pat.search(text):
    text = pat.sub(lambda m: section, text)
else:
    text = text.rstrip("\n") + "\n\n" + section
with open(path, "w") as f:
    f.write(text)
