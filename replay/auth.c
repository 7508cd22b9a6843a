/* Authentication exchanges, written out byte by byte (no libsasl on the client).
 *
 * Binary protocol, SASL PLAIN (RFC 4616; memcached -S with mech_list plain):
 *   request  24-byte header {0x80, opcode 0x21 SASL_AUTH, key length 5 (BE16), extras 0,
 *            data type 0, vbucket 0, body length (BE32), opaque 0, cas 0},
 *            key "PLAIN", value "\0USER\0PASSWORD" (empty authorization identity)
 *   response 24-byte header {0x81, 0x21, ..., status (BE16) at offset 6, body length (BE32) at 8}
 *            and its body: status 0 accepted, 0x20 rejected, 0x81 the server has no SASL.
 * Text protocol, the auth file (memcached -Y FILE, lines "user:password"):
 *   set membench-auth 0 0 <n>\r\n<USER> <PASSWORD>\r\n   ->  STORED\r\n, or an error line.
 *   A server without -Y stores the key instead (the reply is the same STORED): harmless, and
 *   the one case where a wrong password cannot be told apart.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "membench/error.h"
#include "auth.h"

int rp_auth_parse(struct rp_auth *a, const char *arg, char *err, size_t errlen)
{
	char line[2 * RP_AUTH_MAX + 8];
	const char *src = arg;
	memset(a, 0, sizeof(*a));
	if (arg[0] == '@') {
		FILE *f = fopen(arg + 1, "r");
		if (!f) {
			snprintf(err, errlen, "--authenticate %s: %s", arg, strerror(errno));
			return MB_E_USAGE;
		}
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		src = line;
	}
	const char *colon = strchr(src, ':');
	size_t ulen = colon ? (size_t)(colon - src) : 0;
	if (!colon || ulen == 0 || ulen > RP_AUTH_MAX || strlen(colon + 1) > RP_AUTH_MAX ||
	    strchr(src, ' ')) {
		snprintf(err, errlen, "--authenticate %s: expected USER:PASSWORD%s (non-empty user, "
			 "no spaces, at most %d bytes each)", arg[0] == '@' ? arg : "...",
			 arg[0] == '@' ? " on the file's first line" : "", RP_AUTH_MAX);
		return MB_E_USAGE;
	}
	memcpy(a->user, src, ulen);
	strcpy(a->pass, colon + 1);
	a->on = true;
	return 0;
}

static void put_be16(char *p, size_t v)
{
	p[0] = (char)(v >> 8);
	p[1] = (char)v;
}

static void put_be32(char *p, size_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v & 0xffff);
}

static size_t get_be(const char *p, unsigned n)
{
	size_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | (unsigned char)p[i];
	return v;
}

size_t rp_auth_request(const struct rp_auth *a, bool binary, char *buf)
{
	size_t ul = strlen(a->user), pl = strlen(a->pass);
	if (!binary)
		return (size_t)sprintf(buf, "set membench-auth 0 0 %zu\r\n%s %s\r\n", ul + 1 + pl,
				       a->user, a->pass);
	size_t vlen = 2 + ul + pl;
	memset(buf, 0, 24);
	buf[0] = (char)0x80;
	buf[1] = 0x21;
	put_be16(buf + 2, 5);
	put_be32(buf + 8, 5 + vlen);
	memcpy(buf + 24, "PLAIN", 5);
	buf[29] = '\0';
	memcpy(buf + 30, a->user, ul);
	buf[30 + ul] = '\0';
	memcpy(buf + 31 + ul, a->pass, pl);
	return 24 + 5 + vlen;
}

int rp_auth_reply(const struct rp_auth *a, bool binary, const char *buf, size_t len, char *err,
		  size_t errlen)
{
	if (!binary) {
		const char *eol = memchr(buf, '\n', len);
		if (!eol)
			return len > 512 ? MB_E_CONNECT : 0;
		size_t n = (size_t)(eol - buf);
		if (n && buf[n - 1] == '\r')
			n--;
		if (n == 6 && memcmp(buf, "STORED", 6) == 0)
			return 1;
		snprintf(err, errlen, "authentication as %s rejected: %.*s", a->user,
			 (int)(n > 200 ? 200 : n), buf);
		return MB_E_CONNECT;
	}
	if (len < 24)
		return 0;
	if ((unsigned char)buf[0] != 0x81) {
		snprintf(err, errlen, "authentication as %s: not a binary-protocol reply (is the "
			 "server started with -S?)", a->user);
		return MB_E_CONNECT;
	}
	size_t body = get_be(buf + 8, 4);
	if (len < 24 + body)
		return 0;
	unsigned status = (unsigned)get_be(buf + 6, 2);
	if (status == 0)
		return 1;
	if (status == 0x20)
		snprintf(err, errlen, "authentication as %s rejected (SASL PLAIN: wrong user or password)",
			 a->user);
	else if (status == 0x81 || status == 0x83)
		snprintf(err, errlen, "authentication as %s: the server does not do SASL (started "
			 "without -S?)", a->user);
	else
		snprintf(err, errlen, "authentication as %s failed: binary status 0x%02x", a->user,
			 status);
	return MB_E_CONNECT;
}
