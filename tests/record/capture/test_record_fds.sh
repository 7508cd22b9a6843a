# root-bpf: the probes map an fd to its connection afresh on every syscall; these are the cases a
# cached fd -> connection verdict would get wrong (issue 14), each checked against what the
# client sent:
#  - close, then the same fd number reused for another connection, and for a plain file;
#  - dup2 of one traced socket over another (the fd now means the other connection), and of a
#    file over a traced socket; the closed socket's struct sock reused by untraced connections;
#  - exec: the new program keeps the socket (same fd) and goes on talking on it.
# Every request must land on its own connection, once, with its response; bytes written to a
# file through a reused fd number must not be recorded. The fd games are the client's, so the
# capture records client ends (--side client): the ends whose fds change under the probes.
set -euo pipefail
source "$MB_SOURCE_DIR/tests/lib.sh" || exit 1
source "$MB_SOURCE_DIR/tests/record/capture/reclib.sh" || exit 1
rec_need_bpf
mb_start_memcached

rec_start fds ebpf:any --port "$MC_PORT" --keep-keys --side client
$PY - "$MC_PORT" "$MB_TMP" <<'EOF'
import os, socket, sys, time
port, tmp = int(sys.argv[1]), sys.argv[2]
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    return s
def req(fd, line, end):
    os.write(fd, line)
    b = b""
    while not b.endswith(end):
        chunk = os.read(fd, 65536)
        assert chunk, "closed"
        b += chunk
    return b

# 1. close, then the same fd number for a file and for a new connection
a = conn()
fd = a.fileno()
req(fd, b"set reuse_a 0 0 1\r\nA\r\n", b"STORED\r\n")
req(fd, b"get reuse_a\r\n", b"END\r\n")
a.close()
f = os.open(tmp + "/plain", os.O_RDWR | os.O_CREAT)
assert f == fd, (f, fd)
os.write(f, b"get fake_file_1\r\n" * 3)  # a file, not traffic
os.close(f)
b = conn()
assert b.fileno() == fd, (b.fileno(), fd)
for i in range(3):
    assert b"VALUE reuse_a" in req(fd, b"get reuse_a\r\n", b"END\r\n")
req(fd, b"set reuse_b 0 0 1\r\nB\r\n", b"STORED\r\n")
b.close()

# 2. dup2: the fd of connection c becomes connection d's; then a file over d's own fd
c, d = conn(), conn()
cfd, dfd = c.fileno(), d.fileno()
req(cfd, b"set dup_c 0 0 1\r\nC\r\n", b"STORED\r\n")
req(dfd, b"set dup_d 0 0 1\r\nD\r\n", b"STORED\r\n")
os.dup2(dfd, cfd)  # closes connection c; cfd now refers to d
# Untraced connections (another port), opened and closed right after: c's struct sock, freed
# without a close() the probes saw, is soon reused by one of them (the bug: the probes took it
# for c, recorded its bytes into c's streams and closed c at its offsets: gaps of gigabytes).
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(128)
time.sleep(0.1)
for i in range(128):
    x = socket.create_connection(ls.getsockname())
    y, _ = ls.accept()
    x.sendall(b"get churn_%d\r\n" % i)
    y.recv(100)
    y.sendall(b"END\r\n")
    x.recv(100)
    x.close()
    y.close()
ls.close()
for i in range(4):
    assert b"VALUE dup_d" in req(cfd, b"get dup_d\r\n", b"END\r\n")
req(dfd, b"get dup_d\r\n", b"END\r\n")
f = os.open(tmp + "/plain2", os.O_RDWR | os.O_CREAT)
os.dup2(f, dfd)  # d stays open through cfd; dfd is now a file
os.write(dfd, b"get fake_file_2\r\n" * 3)
assert b"VALUE dup_d" in req(cfd, b"get dup_d\r\n", b"END\r\n")
os.close(f)
os.close(dfd)
os.close(cfd)
c.detach()
d.detach()

# 3. exec: the socket survives into a new program image, same fd
e = conn()
req(e.fileno(), b"set exec_e 0 0 1\r\nE\r\n", b"STORED\r\n")
os.set_inheritable(e.fileno(), True)
code = r'''
import os, sys
fd = int(sys.argv[1])
def req(line, end):
    os.write(fd, line)
    b = b""
    while not b.endswith(end):
        b += os.read(fd, 65536)
    return b
for i in range(5):
    assert b"VALUE exec_e" in req(b"get exec_e\r\n", b"END\r\n")
req(b"set exec_after 0 0 1\r\nX\r\n", b"STORED\r\n")
open(sys.argv[2] + "/exec_done", "w").close()
'''
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable, "-c", code, str(e.fileno()), tmp])
_, st = os.waitpid(pid, 0)
assert st == 0 and os.path.exists(tmp + "/exec_done"), st
e.close()
EOF
sleep 0.3
rec_stop
rec_dump fds

# conn_of KEY: the connection ids of the records of KEY (sorted, unique)
conn_of() { awk -v k="$1" '$1=="rec" && $13==k {print $3}' "$MB_TMP/fds.txt" | sort -u | tr '\n' ' '; }

# 1. close + reuse: reuse_a's set and first get on one connection, the 3 later gets and the set
#    of reuse_b on another; the file's bytes nowhere
expect_eq "reuse: get reuse_a records" "$(rec_count fds '$4=="get" && $13=="reuse_a"')" 4
expect_eq "reuse: connections of reuse_a" "$(conn_of reuse_a | wc -w)" 2
expect_eq "reuse: reuse_b on the second connection" \
  "$(awk '$1=="rec" && $13=="reuse_a" && $4=="get" {c=$3} END {print c}' "$MB_TMP/fds.txt")" "$(conn_of reuse_b | tr -d ' ')"
# 2. dup2: dup_c alone on its connection; every dup_d record (1 set + 6 gets) on d's
expect_eq "dup2: dup_d records" "$(rec_count fds '$13=="dup_d"')" 7
expect_eq "dup2: connections of dup_d" "$(conn_of dup_d | wc -w)" 1
[ "$(conn_of dup_c)" != "$(conn_of dup_d)" ] || mb_fail "dup2: dup_c and dup_d on one connection"
# 3. exec: the set before, 5 gets and a set after, all on one connection
expect_eq "exec: exec_e records" "$(rec_count fds '$13=="exec_e"')" 6
expect_eq "exec: exec_after records" "$(rec_count fds '$13=="exec_after"')" 1
expect_eq "exec: one connection" "$(echo "$(conn_of exec_e) $(conn_of exec_after)" | tr ' ' '\n' | sort -u | grep -c .)" 1
# nothing from the files, every request answered, nothing lost
expect_eq "file bytes recorded" "$(rec_count fds '$13 ~ /^fake_file/')" 0
expect_eq "untraced connections recorded" "$(rec_count fds '$13 ~ /^churn/')" 0
expect_eq "records without a response" "$(rec_count fds '$7 !~ /r/')" 0
expect_eq "total records" "$(rec_count fds 1)" $((5 + 1 + 1 + 7 + 6 + 1))
expect_eq "ring drops" "$(rec_stat fds ring_drops)" 0
expect_eq "stream gaps" "$(rec_stat fds stream_gaps)" 0
expect_eq "protocol errors" "$(rec_stat fds protocol_errors)" 0
expect_eq "bytes skipped to resynchronise" "$(rec_stat fds resync_bytes)" 0
