# Sourced by ./recops (awk -f): reads Maven's batch-mode output of the first build and shows what
# it is doing on standard error: the module being built ([2/5]) and how many files it downloaded
# from Maven Central, and how much. On a terminal (tty=1) one line, rewritten in place; otherwise
# a line per module and per 100 downloads.
function human(b) {
  return b >= 1048576 ? sprintf("%.0f MB", b / 1048576) : sprintf("%.0f kB", b / 1024)
}
function show(force) {
  line = sprintf("recops: building %s %s; %d %s downloaded (%s)", step, module, files, files == 1 ? "file" : "files", human(bytes))
  if (tty) {
    printf "\r\033[K%s", line > "/dev/stderr"
    fflush("/dev/stderr")
  } else if (force) {
    print line > "/dev/stderr"
  }
}
BEGIN { step = "[0/5]"; module = "starting Maven" }
/^\[INFO\] Building .* \[[0-9]+\/[0-9]+\]$/ {
  step = $NF
  module = $0
  sub(/^\[INFO\] Building /, "", module)
  sub(/ +[0-9A-Za-z.-]+ +\[[0-9]+\/[0-9]+\]$/, "", module)
  show(1)
}
/^Downloaded from / {
  files++
  if (match($0, /\([0-9.]+ [kMG]?B at/)) {
    n = substr($0, RSTART + 1, RLENGTH - 4)
    split(n, p, " ")
    bytes += p[1] * (p[2] == "GB" ? 1073741824 : p[2] == "MB" ? 1048576 : p[2] == "kB" ? 1024 : 1)
  }
  show(files % 100 == 0)
}
END {
  if (tty) printf "\r\033[K" > "/dev/stderr"
  if (files > 0) printf "recops: downloaded %d %s (%s) from Maven Central\n", files, files == 1 ? "file" : "files", human(bytes) > "/dev/stderr"
}
