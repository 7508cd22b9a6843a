#!/bin/sh
# Open MPI launch agent (plm_rsh_agent) for test_replay_mpi.sh: stands in for ssh, with network
# namespaces for hosts. Called as `netns-agent.sh [ssh options] HOST COMMAND...`; runs COMMAND
# (Open MPI's orted) inside network namespace HOST, in a UTS namespace whose host name is HOST,
# so every "host" has its own network stack and name, like a separate machine.
while [ $# -gt 0 ]; do
	case $1 in
	-*) shift ;;
	*) break ;;
	esac
done
host=$1
shift
exec ip netns exec "$host" unshare --uts sh -c "hostname '$host' && exec $*"
