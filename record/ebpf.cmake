# Sources of the eBPF capture (record/ebpf*.c): appended to membench-record.
#   ebpf.c         options, privilege checks, load/attach, capture loop, status and summary
#   ebpf_load.c    configure, load and attach bpf/capture.bpf.c; kernel counters
#   ebpf_sys.c     privileges (capget), BTF, tracefs, cgroup v2 paths
#   ebpf_stream.c  ring records -> stream reassembly -> codec -> time-ordered records
set(RECORD_EBPF_SOURCES ebpf.c ebpf_load.c ebpf_sys.c ebpf_stream.c)
set(RECORD_EBPF_LIBS capture_skel mbproto mbprofile)
