# SPDX-License-Identifier: GPL-2.0-or-later
# extract.awk - the shell examples of one document, for tests/docs/run.sh.
#
#   awk -v out=DIR -v kind=md|man -f extract.awk FILE
#
# Writes, per block, DIR/N.sh (the script to run) and one line on stdout:
#   N <TAB> LINE <TAB> TYPE <TAB> DIRECTIVE
# TYPE is sh, console or nolang (a fence without a language: reported as a
# failure, so that no block of commands goes unnoticed). DIRECTIVE is the text
# of a marker on the line before the block (markdown: <!-- doctest: ... -->;
# man: .\" doctest: ... anywhere between the previous block and .nf).
#
# Markdown: ```sh, ```bash, ```shell and ```console blocks; other languages
# (json, toml, text, ...) are not run. A console block's "# COMMAND" lines
# (root's prompt; a "\" at the end continues the command) are run and what
# follows each, up to the next prompt, is its expected output (stdout and
# stderr, exit status ignored). Man pages: the .nf/.fi blocks of EXAMPLES,
# with roff escapes undone.

function flush_console(    n, i) {
  if (cmd == "")
    return
  # expected output without trailing empty lines
  n = nexp
  while (n > 0 && exp_lines[n] == "")
    n--
  printf "__doctest_out=$( { %s\n} 2>&1 ) || true\n", cmd >script
  printf "__doctest_want=$(cat <<'__DOCTEST_EOF__'\n" >script
  for (i = 1; i <= n; i++)
    print exp_lines[i] >script
  printf "__DOCTEST_EOF__\n)\n" >script
  printf "if [ \"$__doctest_out\" != \"$__doctest_want\" ]; then\n" >script
  printf "  printf '%%s\\n' 'the output of this command differs from the document:' %s >&2\n", shquote(cmd) >script
  printf "  diff -u <(printf '%%s\\n' \"$__doctest_want\") <(printf '%%s\\n' \"$__doctest_out\") >&2\n  exit 1\nfi\n" >script
  cmd = ""
  nexp = 0
}

function shquote(s) {
  gsub(/'/, "'\\''", s)
  return "'" s "'"
}

function open_block(line, type) {
  nblocks++
  script = out "/" nblocks ".sh"
  printf "" >script
  btype = type
  bline = line
  cmd = ""
  nexp = 0
  continued = 0
}

function close_block() {
  if (btype == "console")
    flush_console()
  close(script)
  printf "%d\t%d\t%s\t%s\n", nblocks, bline, btype, directive
  directive = ""
}

function unroff(s) {
  gsub(/\\-/, "-", s)
  gsub(/\\\(aq/, "'", s)
  gsub(/\\\(dq/, "\"", s)
  gsub(/\\\(ti/, "~", s)
  gsub(/\\f[BIRP]/, "", s)
  gsub(/\\&/, "", s)
  gsub(/\\e/, "\\", s)
  return s
}

BEGIN { infence = 0; inblock = 0; nblocks = 0; directive = ""; lastnb = "" }

# ---- markdown ----
kind == "md" && !infence && /^ *(```|~~~)/ {
  fence = $0
  sub(/^ */, "", fence)
  marker = substr(fence, 1, 3)
  lang = substr(fence, 4)
  sub(/^[ \t]*/, "", lang)
  sub(/[ \t{].*$/, "", lang)
  lang = tolower(lang)
  infence = 1
  directive = ""
  if (lastnb ~ /^<!-- *doctest: .*-->[ \t]*$/) {
    directive = lastnb
    sub(/^<!-- *doctest: */, "", directive)
    sub(/ *-->[ \t]*$/, "", directive)
  }
  if (lang == "sh" || lang == "bash" || lang == "shell")
    open_block(NR, "sh")
  else if (lang == "console")
    open_block(NR, "console")
  else if (lang == "")
    open_block(NR, "nolang")
  else
    inblock = 0
  if (lang == "sh" || lang == "bash" || lang == "shell" || lang == "console" || lang == "")
    inblock = 1
  next
}
kind == "md" && infence && index($0, marker) && $0 ~ /^ *(```|~~~)[ \t]*$/ {
  infence = 0
  if (inblock)
    close_block()
  inblock = 0
  lastnb = ""
  next
}
kind == "md" && infence {
  if (!inblock)
    next
  if (btype == "sh" || btype == "nolang") {
    print >script
  } else if (continued) {
    cmd = cmd "\n" $0
    continued = /\\$/
  } else if (/^# /) {
    flush_console()
    cmd = substr($0, 3)
    continued = /\\$/
  } else if (cmd != "") {
    exp_lines[++nexp] = $0
  }
  next
}
kind == "md" {
  if ($0 !~ /^[ \t]*$/)
    lastnb = $0
  next
}

# ---- man pages ----
kind == "man" && /^\.SH/ { inex = ($0 ~ /EXAMPLE/); next }
kind == "man" && inex && !inblock && /^\.\\" *doctest:/ {
  directive = $0
  sub(/^\.\\" *doctest: */, "", directive)
  next
}
kind == "man" && inex && !inblock && /^\.nf/ { open_block(NR, "sh"); inblock = 1; next }
kind == "man" && inblock && /^\.fi/ { close_block(); inblock = 0; next }
kind == "man" && inblock && /^\./ { next }
kind == "man" && inblock { print unroff($0) >script; next }

END {
  if (inblock)
    close_block()
}
