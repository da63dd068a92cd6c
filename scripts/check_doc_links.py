#!/usr/bin/env python3
"""Check the links of pg_lifeguard's documentation.

For every markdown link in README.md and docs/*.md whose target is a
relative path or an anchor (http:, https:, mailto: and other schemes are
not checked):
  - the file exists, inside the repository;
  - the anchor, if any, exists in the target file: a heading, under
    GitHub's rule (lowercase; drop punctuation except '-' and '_'; each
    space becomes '-'; the second heading with the same anchor gets '-1',
    the third '-2', ...), or an <a name="..."> / id="..." tag.  An anchor
    into a file that is not markdown must be a line anchor (#L12, #L12-L20)
    within the file.

Links inside fenced code blocks and inline code spans are not links.
Prints each broken link as "file:line: target: reason" and exits 1 if there
is any; otherwise prints a summary and exits 0.

    scripts/check_doc_links.py [repository root]   (default: this script's ../)

Python 3, standard library only.
"""

import os
import re
import sys
import urllib.parse

FENCE = re.compile(r'^\s{0,3}(`{3,}|~{3,})')
HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
INLINE_CODE = re.compile(r'(`+)(.+?)\1')
# [text](target) or [text](target "title"); the text may hold `code`
# and nested brackets one level deep; images too (![alt](src)).
INLINE_LINK = re.compile(
    r'!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?'
    r'(?:\s+(?:"[^"]*"|\'[^\']*\'))?\s*\)')
REF_DEF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$')
HTML_ANCHOR = re.compile(r'<a\s[^>]*\b(?:name|id)\s*=\s*"([^"]+)"', re.I)
SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:')
LINE_ANCHOR = re.compile(r'^L(\d+)(?:-L(\d+))?$')


def strip_code_spans(text):
    """Replace inline code spans by spaces, keeping column positions."""
    return INLINE_CODE.sub(lambda m: ' ' * len(m.group(0)), text)


def markdown_lines(path):
    """Yield (line number, line, in_code_block) for a markdown file."""
    fence = None
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            m = FENCE.match(line)
            if fence is None and m:
                fence = m.group(1)[0] * len(m.group(1))
                yield n, line, True
                continue
            if fence is not None:
                if line.strip().startswith(fence) and \
                        line.strip().strip(fence[0]) == '':
                    fence = None
                yield n, line, True
                continue
            yield n, line, False


def github_anchor(heading):
    """The anchor GitHub gives a heading's text."""
    text = heading
    # links and images keep their text only
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)
    # HTML tags go
    text = re.sub(r'<[^>]+>', '', text)
    text = text.strip().lower()
    text = ''.join(c for c in text
                   if c.isalnum() or c in '-_ ' or
                   (not c.isascii() and c.isalpha()))
    return text.replace(' ', '-')


_anchor_cache = {}


def anchors_of(path):
    """Every anchor a markdown file defines."""
    if path in _anchor_cache:
        return _anchor_cache[path]
    seen = {}
    anchors = set()
    for _, line, in_code in markdown_lines(path):
        if in_code:
            continue
        for name in HTML_ANCHOR.findall(line):
            anchors.add(name)
        m = HEADING.match(line)
        if not m:
            continue
        base = github_anchor(m.group(2))
        if base in seen:
            seen[base] += 1
            anchors.add('%s-%d' % (base, seen[base]))
        else:
            seen[base] = 0
            anchors.add(base)
    _anchor_cache[path] = anchors
    return anchors


def links_of(path):
    """Yield (line number, target) for every link of a markdown file."""
    for n, line, in_code in markdown_lines(path):
        if in_code:
            continue
        m = REF_DEF.match(line)
        if m:
            yield n, m.group(1)
            continue
        for m in INLINE_LINK.finditer(strip_code_spans(line)):
            yield n, m.group(1)


def check_link(root, source, target):
    """None if the link is good, else why it is not."""
    if not target or SCHEME.match(target) or target.startswith('//'):
        return None
    path_part, _, anchor = target.partition('#')
    path_part = urllib.parse.unquote(path_part)
    anchor = urllib.parse.unquote(anchor)
    if path_part == '':
        dest = source
    elif path_part.startswith('/'):
        dest = os.path.normpath(os.path.join(root, path_part.lstrip('/')))
    else:
        dest = os.path.normpath(
            os.path.join(os.path.dirname(source), path_part))
    rel = os.path.relpath(dest, root)
    if rel == '..' or rel.startswith('..' + os.sep):
        return 'points outside the repository'
    if not os.path.exists(dest):
        return 'no such file %s' % rel
    if not anchor:
        return None
    if os.path.isdir(dest):
        return 'anchor on a directory'
    if dest.endswith('.md'):
        if anchor not in anchors_of(dest):
            return 'no anchor #%s in %s' % (anchor, rel)
        return None
    m = LINE_ANCHOR.match(anchor)
    if not m:
        return 'anchor #%s into %s, which is not markdown' % (anchor, rel)
    with open(dest, encoding='utf-8', errors='replace') as f:
        nlines = sum(1 for _ in f)
    last = int(m.group(2) or m.group(1))
    if int(m.group(1)) < 1 or last > nlines:
        return 'line anchor #%s beyond the %d lines of %s' % (anchor, nlines,
                                                             rel)
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), '..'))
    files = [os.path.join(root, 'README.md')]
    docs = os.path.join(root, 'docs')
    if os.path.isdir(docs):
        files += sorted(os.path.join(docs, f) for f in os.listdir(docs)
                        if f.endswith('.md'))
    broken = 0
    checked = 0
    for source in files:
        if not os.path.exists(source):
            print('%s: missing' % os.path.relpath(source, root))
            broken += 1
            continue
        for n, target in links_of(source):
            reason = check_link(root, source, target)
            if reason is None:
                if target and not SCHEME.match(target):
                    checked += 1
                continue
            broken += 1
            print('%s:%d: %s: %s' % (os.path.relpath(source, root), n,
                                     target, reason))
    if broken:
        print('%d broken link(s) in %d file(s)' % (broken, len(files)))
        return 1
    print('%d relative links and anchors checked in %d files: all good' %
          (checked, len(files)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
