"""The one build step pyproject.toml cannot state stably: the optional C scanner behind `curate check`.

Optional: without a C compiler the install goes on, and check reads every line with the exact per-line reader
(the same report, several times slower).
"""

from setuptools import Extension, setup

HEADERS = ["curate/io/_scan_text.h", "curate/io/_scan_keyset.h", "curate/io/_nfc_ranges.h"]

setup(ext_modules=[Extension("curate.io._scan", ["curate/io/_scan.c"], depends=HEADERS, optional=True)])
