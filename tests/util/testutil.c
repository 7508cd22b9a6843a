/* Test support: see testutil.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

bool mb_test_is_root(void)
{
	return geteuid() == 0;
}

int mb_test_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sa.sin_port);
}

static bool port_accepts(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static const char *find_memcached(void)
{
	static const char *const paths[] = {"/usr/bin/memcached", "/usr/local/bin/memcached"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int mb_test_memcached_start(struct mb_test_memcached *m, const char *extra_args)
{
	const char *bin = find_memcached();
	m->pid = 0;
	if (!bin)
		return MB_TEST_SKIP;
	for (int attempt = 0; attempt < 5; attempt++) {
		int port = mb_test_free_port();
		if (port <= 0)
			return -1;
		char portstr[16];
		snprintf(portstr, sizeof(portstr), "%d", port);
		/* One mutable string holding every argument, split in place (execv wants char *). */
		char line[1024];
		snprintf(line, sizeof(line), "%s -l 127.0.0.1 -p %s -U 0%s %s", bin, portstr,
			 mb_test_is_root() ? " -u nobody" : "", extra_args ? extra_args : "");
		char *argv[64];
		int argc = 0;
		for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && argc < 63;
		     tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		pid_t pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			int devnull = open("/dev/null", O_RDWR);
			if (devnull >= 0) {
				dup2(devnull, STDIN_FILENO);
				dup2(devnull, STDOUT_FILENO);
			}
			execv(bin, argv);
			_exit(127);
		}
		for (int i = 0; i < 200; i++) { /* up to 2 s */
			if (port_accepts(port)) {
				m->pid = pid;
				m->port = port;
				return 0;
			}
			int status;
			if (waitpid(pid, &status, WNOHANG) == pid)
				break; /* exited: port taken? try another */
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return -1;
}

void mb_test_memcached_stop(struct mb_test_memcached *m)
{
	if (m->pid <= 0)
		return;
	kill(m->pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(m->pid, NULL, WNOHANG) == m->pid) {
			m->pid = 0;
			return;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(m->pid, SIGKILL);
	waitpid(m->pid, NULL, 0);
	m->pid = 0;
}

int mb_test_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	if ((size_t)snprintf(buf, len, "%s/mbtest.XXXXXX", base) >= len)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

void mb_test_rmtree(const char *path)
{
	char cmd[4200];
	if (!path || !*path || strstr(path, "mbtest.") == NULL)
		return; /* refuse to remove anything we did not create */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", path);
}

const char *mb_test_source_path(char *buf, size_t len, const char *rel)
{
	const char *src = getenv("MB_SOURCE_DIR");
	snprintf(buf, len, "%s/%s", src && *src ? src : ".", rel);
	return buf;
}
