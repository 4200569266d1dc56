/*
 * test_relayd_conf.c: relayd's configuration file (relayd/relayd_config.c).
 *
 * A full file with every keyword, the defaults, the exact message of each
 * kind of mistake (a table of bad snippets), the allowlist, and loading
 * from disk: a missing file, a directory, a file over 1 MiB, and the
 * sample conf/relayd.conf of the source tree.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftest.h"
#include "relayd_config.h"
#include "suites.h"

#define FILE_NAME	"relayd.conf"
/* Two lines that make a file complete: what follows them is line 3. */
#define BASE		"listen *:7000\nallow 127.0.0.1 port 22\n"

CT_CONF(parser, relayd_config, FILE_NAME);

static int
parse(struct relayd_config *cfg, const char *text, char *err)
{
	return ct_parse(&parser, cfg, text, err);
}

static void
allow_is(const struct relayd_allow *a, int family, const char *addr,
    unsigned bits, uint16_t lo, uint16_t hi)
{
	ct_prefix_is(&a->prefix, family, addr, bits);
	ck_assert_uint_eq(a->ports.lo, lo);
	ck_assert_uint_eq(a->ports.hi, hi);
}

static void
same_config(const struct relayd_config *a, const struct relayd_config *b)
{
	int	i;

	ck_assert_int_eq(a->nlisten, b->nlisten);
	for (i = 0; i < a->nlisten; i++) {
		ck_assert_int_eq(a->listen[i].family, b->listen[i].family);
		ck_assert_uint_eq(a->listen[i].port, b->listen[i].port);
		ck_assert(memcmp(a->listen[i].addr, b->listen[i].addr,
		    16) == 0);
	}
	ck_assert_int_eq(a->nallow, b->nallow);
	for (i = 0; i < a->nallow; i++) {
		ck_assert_int_eq(a->allow[i].prefix.family,
		    b->allow[i].prefix.family);
		ck_assert_uint_eq(a->allow[i].prefix.bits,
		    b->allow[i].prefix.bits);
		ck_assert(memcmp(a->allow[i].prefix.addr,
		    b->allow[i].prefix.addr, 16) == 0);
		ck_assert_uint_eq(a->allow[i].ports.lo, b->allow[i].ports.lo);
		ck_assert_uint_eq(a->allow[i].ports.hi, b->allow[i].ports.hi);
	}
	ck_assert_uint_eq(a->linger_ms, b->linger_ms);
	ck_assert_uint_eq(a->keepalive_ms, b->keepalive_ms);
	ck_assert_uint_eq(a->dead_ms, b->dead_ms);
	ck_assert_uint_eq(a->handshake_ms, b->handshake_ms);
	ck_assert_uint_eq(a->connect_ms, b->connect_ms);
	ck_assert_uint_eq(a->max_sessions, b->max_sessions);
	ck_assert_uint_eq(a->replay_buffer, b->replay_buffer);
	ck_assert_uint_eq(a->max_memory, b->max_memory);
	ck_assert_uint_eq(a->max_handshakes, b->max_handshakes);
	ck_assert_uint_eq(a->max_handshakes_source, b->max_handshakes_source);
	ck_assert_uint_eq(a->key_reuse, b->key_reuse);
	ck_assert_str_eq(a->control, b->control);
	ck_assert_uint_eq(a->control_mode, b->control_mode);
	ck_assert_int_eq(a->log_level, b->log_level);
}

static const char full[] =
    "# relayd.conf with every keyword\n"
    "\n"
    "listen 0.0.0.0:7000\n"
    "listen [::]:7001\n"
    "listen *:7002\n"
    "listen 127.0.0.1:7003\t# a comment after a value\n"
    "\n"
    "allow 127.0.0.1 port 22\n"
    "allow 192.0.2.0/24 port 8000-8099\n"
    "allow 2001:db8::/32 port any\n"
    "\n"
    "linger 5m\n"
    "keepalive 15s\n"
    "dead-path 45s\n"
    "handshake-timeout 2500ms\n"
    "connect-timeout 3\n"
    "max-sessions 500\n"
    "replay-buffer 64k\n"
    "max-memory 2G\n"
    "max-handshakes 100\n"
    "max-handshakes-per-source 8\n"
    "key-reuse 1\n"
    "control \"/run/migrate/relayd test.sock\" mode 0660\n"
    "log-level debug\n";

static void
check_full(const struct relayd_config *cfg)
{
	ck_assert_int_eq(cfg->nlisten, 4);
	ct_hostport_is(&cfg->listen[0], AF_INET, "0.0.0.0", 7000);
	ct_hostport_is(&cfg->listen[1], AF_INET6, "::", 7001);
	ct_hostport_is(&cfg->listen[2], AF_UNSPEC, NULL, 7002);
	ct_hostport_is(&cfg->listen[3], AF_INET, "127.0.0.1", 7003);
	ck_assert_int_eq(cfg->nallow, 3);
	allow_is(&cfg->allow[0], AF_INET, "127.0.0.1", 32, 22, 22);
	allow_is(&cfg->allow[1], AF_INET, "192.0.2.0", 24, 8000, 8099);
	allow_is(&cfg->allow[2], AF_INET6, "2001:db8::", 32, 1, 65535);
	ck_assert_uint_eq(cfg->linger_ms, 300000);
	ck_assert_uint_eq(cfg->keepalive_ms, 15000);
	ck_assert_uint_eq(cfg->dead_ms, 45000);
	ck_assert_uint_eq(cfg->handshake_ms, 2500);
	ck_assert_uint_eq(cfg->connect_ms, 3000);
	ck_assert_uint_eq(cfg->max_sessions, 500);
	ck_assert_uint_eq(cfg->replay_buffer, 65536);
	ck_assert_uint_eq(cfg->max_memory, 2ull << 30);
	ck_assert_uint_eq(cfg->max_handshakes, 100);
	ck_assert_uint_eq(cfg->max_handshakes_source, 8);
	ck_assert_uint_eq(cfg->key_reuse, 1);
	ck_assert_str_eq(cfg->control, "/run/migrate/relayd test.sock");
	ck_assert_uint_eq(cfg->control_mode, 0660);
	ck_assert_int_eq(cfg->log_level, LOG_LEVEL_DEBUG);
}

START_TEST(test_full)
{
	struct relayd_config	cfg, crlf;
	char			err[CONF_ERR_LEN], *text;

	ck_assert_msg(parse(&cfg, full, err) == 0, "%s", err);
	check_full(&cfg);

	/* The same file with CRLF line ends is the same configuration. */
	text = ct_crlf(full);
	ck_assert_msg(parse(&crlf, text, err) == 0, "%s", err);
	same_config(&cfg, &crlf);
	free(text);

	relayd_config_free(&crlf);
	relayd_config_free(&cfg);
	ck_assert_ptr_null(cfg.allow);
	ck_assert_int_eq(cfg.nallow, 0);
	relayd_config_free(&cfg);	/* twice is harmless */
}
END_TEST

START_TEST(test_defaults)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN];

	relayd_config_init(&cfg);
	ck_assert_int_eq(cfg.nlisten, 0);
	ck_assert_int_eq(cfg.nallow, 0);
	ck_assert_ptr_null(cfg.allow);
	relayd_config_free(&cfg);

	ck_assert_msg(parse(&cfg, BASE, err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nlisten, 1);
	ct_hostport_is(&cfg.listen[0], AF_UNSPEC, NULL, 7000);
	ck_assert_int_eq(cfg.nallow, 1);
	allow_is(&cfg.allow[0], AF_INET, "127.0.0.1", 32, 22, 22);
	ck_assert_uint_eq(cfg.linger_ms, 600000);
	ck_assert_uint_eq(cfg.keepalive_ms, 10000);
	ck_assert_uint_eq(cfg.dead_ms, 30000);
	ck_assert_uint_eq(cfg.handshake_ms, 10000);
	ck_assert_uint_eq(cfg.connect_ms, 10000);
	ck_assert_uint_eq(cfg.max_sessions, 10000);
	ck_assert_uint_eq(cfg.replay_buffer, 1024 * 1024);
	ck_assert_uint_eq(cfg.max_memory, 1024 * 1024 * 1024);
	ck_assert_uint_eq(cfg.max_handshakes, 1024);
	ck_assert_uint_eq(cfg.max_handshakes_source, 64);
	ck_assert_uint_eq(cfg.key_reuse, 1024);
	ck_assert_str_eq(cfg.control, "/run/migrate/relayd.sock");
	ck_assert_uint_eq(cfg.control_mode, 0600);
	ck_assert_int_eq(cfg.log_level, LOG_LEVEL_INFO);
	relayd_config_free(&cfg);
}
END_TEST

/* Values at the edges of what each keyword takes. */
START_TEST(test_edges)
{
	static const struct ct_value t[] = {
#define F(f)	offsetof(struct relayd_config, f)
		{ "linger 1ms", F(linger_ms), 1 },
		{ "linger 7d", F(linger_ms), 604800000 },
		{ "linger 604800", F(linger_ms), 604800000 },
		{ "linger 168h", F(linger_ms), 604800000 },
		{ "linger 2h", F(linger_ms), 7200000 },
		{ "connect-timeout 604800000ms", F(connect_ms), 604800000 },
		{ "handshake-timeout 1d", F(handshake_ms), 86400000 },
		{ "dead-path 10001ms", F(dead_ms), 10001 },
		{ "max-sessions 1", F(max_sessions), 1 },
		{ "max-sessions 10000000", F(max_sessions), 10000000 },
		{ "max-handshakes 10000000", F(max_handshakes), 10000000 },
		{ "max-handshakes-per-source 1", F(max_handshakes_source), 1 },
		{ "key-reuse 10000000", F(key_reuse), 10000000 },
		{ "replay-buffer 16k", F(replay_buffer), 16384 },
		{ "replay-buffer 16384", F(replay_buffer), 16384 },
		{ "replay-buffer 1G", F(replay_buffer), 1u << 30 },
		{ "replay-buffer 1g", F(replay_buffer), 1u << 30 },
		{ "replay-buffer 1m", F(replay_buffer), 1u << 20 },
		{ "max-memory 1M", F(max_memory), 1u << 20 },
		{ "max-memory 1024G", F(max_memory), 1ull << 40 },
		{ "max-memory 1099511627776", F(max_memory), 1ull << 40 },
#undef F
	};

	ct_values(&parser, BASE, t, sizeof(t) / sizeof(t[0]));
}
END_TEST

START_TEST(test_control)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN], text[512], path[200];

	ck_assert_msg(parse(&cfg, BASE "control none\n", err) == 0, "%s", err);
	ck_assert_str_eq(cfg.control, "");
	relayd_config_free(&cfg);

	ck_assert_msg(parse(&cfg, BASE "control /tmp/r.sock\n", err) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.control, "/tmp/r.sock");
	ck_assert_uint_eq(cfg.control_mode, 0600);
	relayd_config_free(&cfg);

	ck_assert_msg(parse(&cfg, BASE "control /r.sock mode 777\n", err) == 0,
	    "%s", err);
	ck_assert_uint_eq(cfg.control_mode, 0777);
	relayd_config_free(&cfg);

	ck_assert_msg(parse(&cfg, BASE "control /r.sock mode 0\n", err) == 0,
	    "%s", err);
	ck_assert_uint_eq(cfg.control_mode, 0);
	relayd_config_free(&cfg);

	/* 107 bytes is the longest path, 108 one too many */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	snprintf(text, sizeof(text), BASE "control %s\n", path);
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	ck_assert_str_eq(cfg.control, path);
	relayd_config_free(&cfg);
	path[107] = 'p';
	path[108] = '\0';
	snprintf(text, sizeof(text), BASE "control %s\n", path);
	ck_assert_int_eq(parse(&cfg, text, err), -1);
	ck_assert_str_eq(err, FILE_NAME ":3: control: the path is 108 bytes "
	    "long; a unix socket's must be shorter than 108");
	relayd_config_free(&cfg);
}
END_TEST

START_TEST(test_log_level)
{
	ct_log_levels(&parser, BASE, offsetof(struct relayd_config, log_level));
}
END_TEST

#define L3(msg)		FILE_NAME ":3: " msg

static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	/* the whole file */
	{ "", FILE_NAME ": no listen address" },
	{ "# nothing but comments\n\n", FILE_NAME ": no listen address" },
	{ "allow 127.0.0.1 port 22\n", FILE_NAME ": no listen address" },
	{ "listen *:7000\n", FILE_NAME ": no allow rule: relayd would "
	    "refuse every destination" },
	{ "listen *:7000\nlinger 1m\n", FILE_NAME ": no allow rule: relayd "
	    "would refuse every destination" },

	/* keywords */
	{ BASE "lisen 0.0.0.0:7000\n", L3("unknown keyword \"lisen\"") },
	{ BASE "Listen 0.0.0.0:7000\n", L3("unknown keyword \"Listen\"") },
	{ BASE "\"\"\n", L3("unknown keyword \"\"") },
	{ BASE "linger\x01 1s\n", L3("unknown keyword \"linger\\x01\"") },
	{ BASE "linger 5m\n# x\nlinger 10m\n",
	    FILE_NAME ":5: linger given twice (first on line 3)" },
	{ BASE "linger 5x\nlisen 1\n",
	    L3("linger: \"5x\" is not a duration (e.g. 250ms, 10s, 5m, 2h)") },

	/* the lexer's own */
	{ BASE "listen \"*:7001\n", L3("unterminated quote") },
	{ BASE "a b c d e f g h i j k l m n o p q\n",
	    L3("too many words (at most 16)") },

	/* wrong number of words */
	{ BASE "listen\n", L3("usage: listen ADDRESS:PORT") },
	{ BASE "listen *:7001 *:7002\n", L3("usage: listen ADDRESS:PORT") },
	{ BASE "allow 10.0.0.0/8\n", L3("usage: allow PREFIX port PORTS") },
	{ BASE "allow 10.0.0.0/8 22\n", L3("usage: allow PREFIX port PORTS") },
	{ BASE "allow 10.0.0.0/8 ports 22\n",
	    L3("usage: allow PREFIX port PORTS") },
	{ BASE "allow 10.0.0.0/8 port 22 23\n",
	    L3("usage: allow PREFIX port PORTS") },
	{ BASE "linger\n", L3("usage: linger DURATION") },
	{ BASE "keepalive 1s 2s\n", L3("usage: keepalive DURATION") },
	{ BASE "max-sessions\n", L3("usage: max-sessions NUMBER") },
	{ BASE "replay-buffer 1 M\n", L3("usage: replay-buffer SIZE") },
	{ BASE "log-level\n", L3("usage: log-level warn|info|debug") },
	{ BASE "control\n",
	    L3("usage: control PATH [mode OCTAL], or control none") },
	{ BASE "control /r.sock mode\n",
	    L3("usage: control PATH [mode OCTAL], or control none") },
	{ BASE "control /r.sock perm 0600\n",
	    L3("usage: control PATH [mode OCTAL], or control none") },
	{ BASE "control none mode 0600\n",
	    L3("usage: control PATH [mode OCTAL], or control none") },
	{ BASE "control /r.sock mode 0600 x\n",
	    L3("usage: control PATH [mode OCTAL], or control none") },

	/* listen */
	{ BASE "listen 0.0.0.0\n",
	    L3("listen: \"0.0.0.0\" has no port (e.g. 0.0.0.0:7000)") },
	{ BASE "listen ::1:7000\n", L3("listen: \"::1:7000\": an IPv6 "
	    "address goes in brackets, as in [::1]:7000") },
	{ BASE "listen 0.0.0.0:0\n", L3("listen: \"0.0.0.0:0\" is not "
	    "ADDRESS:PORT (e.g. 0.0.0.0:7000, [::]:7000, *:7000)") },
	{ BASE "listen localhost:7000\n", L3("listen: \"localhost:7000\" is "
	    "not ADDRESS:PORT (e.g. 0.0.0.0:7000, [::]:7000, *:7000)") },
	{ BASE "listen [::1]:65536\n", L3("listen: \"[::1]:65536\" is not "
	    "ADDRESS:PORT (e.g. 0.0.0.0:7000, [::]:7000, *:7000)") },
	{ BASE "listen *:7000\n",
	    L3("listen: \"*:7000\" given twice (first on line 1)") },
	{ "listen [::1]:7000\nallow ::1 port 1\nlisten [0::1]:7000\n",
	    L3("listen: \"[0::1]:7000\" given twice (first on line 1)") },

	/* allow */
	{ BASE "allow 10.1.2.3/8 port 22\n", L3("allow: \"10.1.2.3/8\" is "
	    "not an address or prefix (host bits set?)") },
	{ BASE "allow 2001:db8::1/32 port 22\n", L3("allow: "
	    "\"2001:db8::1/32\" is not an address or prefix (host bits "
	    "set?)") },
	{ BASE "allow 10.0.0.0/33 port 22\n",
	    L3("allow: \"10.0.0.0/33\" is not an address or prefix") },
	{ BASE "allow example.org port 22\n",
	    L3("allow: \"example.org\" is not an address or prefix") },
	{ BASE "allow * port 22\n",
	    L3("allow: \"*\" is not an address or prefix") },
	{ BASE "allow ::ffff:127.0.0.1 port 22\n", L3("allow: "
	    "\"::ffff:127.0.0.1\" is IPv4-mapped: write the IPv4 address or "
	    "prefix instead") },
	{ BASE "allow ::ffff:0:0/96 port 22\n", L3("allow: \"::ffff:0:0/96\" "
	    "is IPv4-mapped: write the IPv4 address or prefix instead") },
	{ BASE "allow 127.0.0.1 port 8099-8000\n", L3("allow: port range "
	    "\"8099-8000\" is reversed (write the lower port first)") },
	{ BASE "allow 127.0.0.1 port 0\n", L3("allow: \"0\" is not a port, "
	    "a range LOW-HIGH or \"any\" (ports are 1 to 65535)") },
	{ BASE "allow 127.0.0.1 port 65536\n", L3("allow: \"65536\" is not "
	    "a port, a range LOW-HIGH or \"any\" (ports are 1 to 65535)") },
	{ BASE "allow 127.0.0.1 port ssh\n", L3("allow: \"ssh\" is not a "
	    "port, a range LOW-HIGH or \"any\" (ports are 1 to 65535)") },
	{ BASE "allow 127.0.0.1 port 0-22\n", L3("allow: \"0-22\" is not a "
	    "port, a range LOW-HIGH or \"any\" (ports are 1 to 65535)") },

	/* durations */
	{ BASE "keepalive ten\n", L3("keepalive: \"ten\" is not a duration "
	    "(e.g. 250ms, 10s, 5m, 2h)") },
	{ BASE "keepalive 1.5s\n", L3("keepalive: \"1.5s\" is not a "
	    "duration (e.g. 250ms, 10s, 5m, 2h)") },
	{ BASE "linger -1\n", L3("linger: \"-1\" is not a duration "
	    "(e.g. 250ms, 10s, 5m, 2h)") },
	{ BASE "linger 0\n",
	    L3("linger: \"0\" is out of range (1ms to 7d)") },
	{ BASE "linger 0ms\n",
	    L3("linger: \"0ms\" is out of range (1ms to 7d)") },
	{ BASE "linger 8d\n",
	    L3("linger: \"8d\" is out of range (1ms to 7d)") },
	{ BASE "handshake-timeout 604800001ms\n", L3("handshake-timeout: "
	    "\"604800001ms\" is out of range (1ms to 7d)") },
	{ BASE "connect-timeout 99999999999999999999s\n", L3("connect-timeout: "
	    "\"99999999999999999999s\" is out of range (1ms to 7d)") },
	{ BASE "connect-timeout 18446744073709551615d\n", L3("connect-timeout: "
	    "\"18446744073709551615d\" is out of range (1ms to 7d)") },

	/* dead-path against keepalive */
	{ BASE "dead-path 5s\n",
	    L3("dead-path (5s) must be longer than keepalive (10s)") },
	{ BASE "dead-path 10s\n",
	    L3("dead-path (10s) must be longer than keepalive (10s)") },
	{ BASE "keepalive 40s\n",
	    L3("dead-path (30s) must be longer than keepalive (40s)") },
	{ BASE "keepalive 2s\n# x\ndead-path 1500ms\n", FILE_NAME ":5: "
	    "dead-path (1500ms) must be longer than keepalive (2s)" },
	{ BASE "dead-path 1m\nkeepalive 60000ms\n", FILE_NAME ":4: "
	    "dead-path (1m) must be longer than keepalive (1m)" },
	{ "keepalive 1h\n", FILE_NAME ":1: "
	    "dead-path (30s) must be longer than keepalive (1h)" },

	/* numbers */
	{ BASE "max-sessions 0\n",
	    L3("max-sessions: \"0\" is out of range (1 to 10000000)") },
	{ BASE "max-sessions 10000001\n",
	    L3("max-sessions: \"10000001\" is out of range (1 to 10000000)") },
	{ BASE "max-handshakes 99999999999999999999999\n",
	    L3("max-handshakes: \"99999999999999999999999\" is out of range "
	    "(1 to 10000000)") },
	{ BASE "max-handshakes-per-source -1\n",
	    L3("max-handshakes-per-source: \"-1\" is not a number") },
	{ BASE "key-reuse 1e6\n", L3("key-reuse: \"1e6\" is not a number") },
	{ BASE "key-reuse 0\n",
	    L3("key-reuse: \"0\" is out of range (1 to 10000000)") },
	{ BASE "max-sessions 1k\n",
	    L3("max-sessions: \"1k\" is not a number") },

	/* sizes */
	{ BASE "replay-buffer 8k\n",
	    L3("replay-buffer: \"8k\" is out of range (16k to 1G)") },
	{ BASE "replay-buffer 16383\n",
	    L3("replay-buffer: \"16383\" is out of range (16k to 1G)") },
	{ BASE "replay-buffer 1025M\n",
	    L3("replay-buffer: \"1025M\" is out of range (16k to 1G)") },
	{ BASE "replay-buffer 1MB\n", L3("replay-buffer: \"1MB\" is not a "
	    "size (e.g. 65536, 64k, 1M, 1G)") },
	{ BASE "max-memory 512k\n",
	    L3("max-memory: \"512k\" is out of range (1M to 1024G)") },
	{ BASE "max-memory 99999999999999999999G\n", L3("max-memory: "
	    "\"99999999999999999999G\" is out of range (1M to 1024G)") },
	{ BASE "max-memory 1T\n", L3("max-memory: \"1T\" is not a size "
	    "(e.g. 65536, 64k, 1M, 1G)") },
	{ BASE "replay-buffer 64M\nmax-memory 32M\n", FILE_NAME ":4: "
	    "max-memory (32M) must be at least replay-buffer (64M)" },
	{ BASE "max-memory 1M\n# x\nreplay-buffer 1536k\n", FILE_NAME ":5: "
	    "max-memory (1M) must be at least replay-buffer (1536k)" },
	{ BASE "max-memory 1048577\nreplay-buffer 2M\n", FILE_NAME ":4: "
	    "max-memory (1048577) must be at least replay-buffer (2M)" },

	/* control and log-level */
	{ BASE "control run/relayd.sock\n",
	    L3("control: \"run/relayd.sock\" is not an absolute path") },
	{ BASE "control \"\"\n", L3("control: \"\" is not an absolute path") },
	{ BASE "control /r.sock mode 0800\n", L3("control: mode \"0800\" is "
	    "not an octal mode from 0 to 0777 (e.g. 0600)") },
	{ BASE "control /r.sock mode 1777\n", L3("control: mode \"1777\" is "
	    "not an octal mode from 0 to 0777 (e.g. 0600)") },
	{ BASE "control /r.sock mode rw\n", L3("control: mode \"rw\" is not "
	    "an octal mode from 0 to 0777 (e.g. 0600)") },
	{ BASE "control /r.sock mode \"\"\n", L3("control: mode \"\" is not "
	    "an octal mode from 0 to 0777 (e.g. 0600)") },
	{ BASE "log-level verbose\n",
	    L3("log-level: \"verbose\" is not warn, info or debug") },
	{ BASE "log-level INFO\n",
	    L3("log-level: \"INFO\" is not warn, info or debug") },

	/* words are shown escaped */
	{ BASE "linger \"1\x1b[0ms\"\n", L3("linger: \"1\\x1b[0ms\" is not a "
	    "duration (e.g. 250ms, 10s, 5m, 2h)") },
	{ BASE "linger \"a\\\"\n", L3("linger: \"a\\x5c\" is not a duration "
	    "(e.g. 250ms, 10s, 5m, 2h)") },
	{ BASE "linger \"\xc3\xa9t\xc3\xa9\"\n", L3("linger: "
	    "\"\\xc3\\xa9t\\xc3\\xa9\" is not a duration "
	    "(e.g. 250ms, 10s, 5m, 2h)") },
	/* 90 letters: the first 64 are shown */
	{ BASE "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    L3("unknown keyword \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"") },
};

START_TEST(test_errors)
{
	ct_refused(&parser, bad[_i].text, bad[_i].err);
}
END_TEST

/* Every keyword but listen and allow at most once. */
START_TEST(test_twice)
{
	static const char *const once[] = {
		"linger 5m", "keepalive 5s", "dead-path 1m",
		"handshake-timeout 5s", "connect-timeout 5s",
		"max-sessions 5", "replay-buffer 64k", "max-memory 2G",
		"max-handshakes 5", "max-handshakes-per-source 5",
		"key-reuse 5", "control none", "log-level warn",
	};

	ct_once(&parser, BASE, once, sizeof(once) / sizeof(once[0]));
}
END_TEST

static void
listen_line(int i, char *buf, size_t len)
{
	if (i == 0)
		snprintf(buf, len, "allow 127.0.0.1 port 22");
	else
		snprintf(buf, len, "listen 127.0.0.1:%d", 7000 + i);
}

static void
allow_line(int i, char *buf, size_t len)
{
	if (i == 0)
		snprintf(buf, len, "listen *:7000");
	else
		snprintf(buf, len, "allow 10.%d.%d.0/24 port %d", i / 256,
		    i % 256, i);
}

START_TEST(test_limits)
{
	struct relayd_config	 cfg;
	char			 err[CONF_ERR_LEN], *text;

	/* 16 listen addresses, then one more */
	text = ct_lines(1 + RELAYD_MAX_LISTEN, listen_line);
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nlisten, RELAYD_MAX_LISTEN);
	ct_hostport_is(&cfg.listen[15], AF_INET, "127.0.0.1", 7016);
	relayd_config_free(&cfg);
	free(text);
	text = ct_lines(2 + RELAYD_MAX_LISTEN, listen_line);
	ck_assert_int_eq(parse(&cfg, text, err), -1);
	ck_assert_str_eq(err, FILE_NAME ":18: listen: more than 16 addresses");
	relayd_config_free(&cfg);
	free(text);

	/* 1024 allow rules, then one more */
	text = ct_lines(1 + RELAYD_MAX_ALLOW, allow_line);
	ck_assert_msg(parse(&cfg, text, err) == 0, "%s", err);
	ck_assert_int_eq(cfg.nallow, RELAYD_MAX_ALLOW);
	allow_is(&cfg.allow[1023], AF_INET, "10.4.0.0", 24, 1024, 1024);
	relayd_config_free(&cfg);
	free(text);
	text = ct_lines(2 + RELAYD_MAX_ALLOW, allow_line);
	ck_assert_int_eq(parse(&cfg, text, err), -1);
	ck_assert_str_eq(err, FILE_NAME ":1026: allow: more than 1024 rules");
	relayd_config_free(&cfg);
	free(text);
}
END_TEST

START_TEST(test_parse_misc)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN];

	/* no file name */
	relayd_config_init(&cfg);
	ck_assert_int_eq(relayd_config_parse(&cfg, "", 0, NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "-: no listen address");
	ck_assert_int_eq(relayd_config_parse(&cfg, "lisen", 5, NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "-:1: unknown keyword \"lisen\"");
	relayd_config_free(&cfg);

	/* a message cut to the room there is */
	ct_cut(&parser, BASE "lisen\n");

	/* only len bytes count: the text need not end in a NUL */
	relayd_config_init(&cfg);
	ck_assert_int_eq(relayd_config_parse(&cfg, BASE "lisen\n",
	    strlen(BASE), FILE_NAME, err, sizeof(err)), 0);
	relayd_config_free(&cfg);
}
END_TEST

static int
allows(const struct relayd_config *cfg, const char *addr, uint16_t port)
{
	uint8_t	a[16];
	int	family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;

	memset(a, 0, sizeof(a));
	ck_assert_int_eq(inet_pton(family, addr, a), 1);
	return relayd_config_allows(cfg, family, a, port);
}

START_TEST(test_allows)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN];
	uint8_t			a[16];

	ck_assert_msg(parse(&cfg, "listen *:7000\n"
	    "allow 127.0.0.1 port 22\n"
	    "allow 192.0.2.0/24 port 8000-8099\n"
	    "allow 198.51.100.0/25 port 443\n"
	    "allow 2001:db8::/32 port any\n"
	    "allow ::1 port 5432\n", err) == 0, "%s", err);

	ck_assert(allows(&cfg, "127.0.0.1", 22));
	ck_assert(!allows(&cfg, "127.0.0.1", 21));
	ck_assert(!allows(&cfg, "127.0.0.1", 23));
	ck_assert(!allows(&cfg, "127.0.0.1", 0));
	ck_assert(!allows(&cfg, "127.0.0.2", 22));
	ck_assert(!allows(&cfg, "127.0.0.0", 22));

	ck_assert(allows(&cfg, "192.0.2.0", 8000));
	ck_assert(allows(&cfg, "192.0.2.255", 8099));
	ck_assert(allows(&cfg, "192.0.2.77", 8050));
	ck_assert(!allows(&cfg, "192.0.2.77", 7999));
	ck_assert(!allows(&cfg, "192.0.2.77", 8100));
	ck_assert(!allows(&cfg, "192.0.3.0", 8000));
	ck_assert(!allows(&cfg, "192.0.1.255", 8000));

	ck_assert(allows(&cfg, "198.51.100.127", 443));
	ck_assert(!allows(&cfg, "198.51.100.128", 443));
	ck_assert(!allows(&cfg, "198.51.100.1", 22));

	ck_assert(allows(&cfg, "2001:db8::1", 1));
	ck_assert(allows(&cfg, "2001:db8:ffff::1", 65535));
	ck_assert(!allows(&cfg, "2001:db8::1", 0));
	ck_assert(!allows(&cfg, "2001:db9::1", 22));
	ck_assert(allows(&cfg, "::1", 5432));
	ck_assert(!allows(&cfg, "::1", 22));
	ck_assert(!allows(&cfg, "::2", 5432));

	/* IPv4-mapped addresses are judged as IPv4, both ways */
	ck_assert(allows(&cfg, "::ffff:127.0.0.1", 22));
	ck_assert(!allows(&cfg, "::ffff:127.0.0.1", 23));
	ck_assert(allows(&cfg, "::ffff:192.0.2.9", 8050));
	ck_assert(!allows(&cfg, "::ffff:198.51.100.200", 443));
	/* ...but not IPv4-compatible ones, nor v4 bytes as v6 */
	ck_assert(!allows(&cfg, "::127.0.0.1", 22));
	inet_pton(AF_INET, "127.0.0.1", a);
	memset(a + 4, 0, 12);
	ck_assert(!relayd_config_allows(&cfg, AF_INET6, a, 22));

	/* not a family at all */
	ck_assert(!relayd_config_allows(&cfg, AF_UNIX, a, 22));
	ck_assert(!relayd_config_allows(&cfg, 4, a, 22));
	ck_assert(!relayd_config_allows(&cfg, AF_UNSPEC, a, 22));
	relayd_config_free(&cfg);

	/* ::/0 is every IPv6 address, none reaching IPv4 */
	ck_assert_msg(parse(&cfg, "listen *:7000\nallow ::/0 port any\n",
	    err) == 0, "%s", err);
	ck_assert(allows(&cfg, "2001:db8::1", 80));
	ck_assert(allows(&cfg, "::", 80));
	ck_assert(!allows(&cfg, "::ffff:10.0.0.1", 80));
	ck_assert(!allows(&cfg, "10.0.0.1", 80));
	relayd_config_free(&cfg);

	/* 0.0.0.0/0 is every IPv4 address, mapped or not */
	ck_assert_msg(parse(&cfg, "listen *:7000\nallow 0.0.0.0/0 port 80\n",
	    err) == 0, "%s", err);
	ck_assert(allows(&cfg, "10.0.0.1", 80));
	ck_assert(allows(&cfg, "::ffff:10.0.0.1", 80));
	ck_assert(!allows(&cfg, "10.0.0.1", 81));
	ck_assert(!allows(&cfg, "2001:db8::1", 80));
	relayd_config_free(&cfg);

	/* nothing is allowed by an empty configuration */
	relayd_config_init(&cfg);
	ck_assert(!allows(&cfg, "127.0.0.1", 22));
	relayd_config_free(&cfg);
}
END_TEST

/* ---- loading files: a temporary directory per test case ---- */

static void
tmp_setup(void)
{
	ct_tmp_setup("test_relayd_conf");
}

START_TEST(test_load)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN], path[600], want[700];

	ct_tmp_path(path, sizeof(path), "good.conf");
	ct_write_file(path, full, strlen(full));
	memset(&cfg, 0xa5, sizeof(cfg));	/* load() does the init */
	ck_assert_msg(relayd_config_load(&cfg, path, err, sizeof(err)) == 0,
	    "%s", err);
	check_full(&cfg);
	relayd_config_free(&cfg);

	/* a mistake: the message, and nothing left to free */
	ct_tmp_path(path, sizeof(path), "bad.conf");
	ct_write_file(path, BASE "linger 8d\n", strlen(BASE) + 10);
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: linger: \"8d\" is out of range "
	    "(1ms to 7d)", path);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(cfg.allow);
	ck_assert_int_eq(cfg.nallow, 0);

	ct_tmp_path(path, sizeof(path), "empty.conf");
	ct_write_file(path, "", 0);
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: no listen address", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_load_missing)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN], path[600], want[700];

	ct_tmp_path(path, sizeof(path), "no-such.conf");
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(cfg.allow);

	ct_tmp_path(path, sizeof(path), "no-such-dir/relayd.conf");
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(ENOENT));
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_load_directory)
{
	struct relayd_config	cfg;
	char			err[CONF_ERR_LEN], path[600], want[700];

	ct_tmp_path(path, sizeof(path), "a.dir");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: %s", path, strerror(EISDIR));
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(cfg.allow);
}
END_TEST

START_TEST(test_load_size)
{
	struct relayd_config	 cfg;
	char			 err[CONF_ERR_LEN], path[600], want[700];
	char			*text;

	/* exactly 1 MiB is fine */
	text = ct_padded(BASE, 1024 * 1024);
	ct_tmp_path(path, sizeof(path), "1m.conf");
	ct_write_file(path, text, 1024 * 1024);
	free(text);
	ck_assert_msg(relayd_config_load(&cfg, path, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(cfg.nallow, 1);
	relayd_config_free(&cfg);

	/* one byte more is not, nor far more */
	text = ct_padded(BASE, 1024 * 1024 + 1);
	ct_tmp_path(path, sizeof(path), "1m1.conf");
	ct_write_file(path, text, 1024 * 1024 + 1);
	free(text);
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(cfg.allow);

	text = ct_padded(BASE, 3 * 1024 * 1024 + 17);
	ct_tmp_path(path, sizeof(path), "3m.conf");
	ct_write_file(path, text, 3 * 1024 * 1024 + 17);
	free(text);
	ck_assert_int_eq(relayd_config_load(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: larger than 1 MiB", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* The sample configuration of the source tree parses. */
START_TEST(test_sample)
{
	struct relayd_config	 cfg;
	char			 err[CONF_ERR_LEN], path[1024];

	ct_srcdir_path(path, sizeof(path), "conf/relayd.conf");
	ck_assert_msg(relayd_config_load(&cfg, path, err, sizeof(err)) == 0,
	    "%s", err);
	/* safe: local and documentation addresses only */
	ck_assert_int_gt(cfg.nlisten, 0);
	ck_assert_int_gt(cfg.nallow, 0);
	ck_assert(!allows(&cfg, "10.0.0.1", 22));
	ck_assert(!allows(&cfg, "8.8.8.8", 53));
	ck_assert(!allows(&cfg, "2606:4700::1111", 443));
	ck_assert(allows(&cfg, "127.0.0.1", 22));
	ck_assert_str_eq(cfg.control, "/run/migrate/relayd.sock");
	relayd_config_free(&cfg);
}
END_TEST

/* Every example file in the EXAMPLES of relayd.conf(5) parses. */
START_TEST(test_man_examples)
{
	ck_assert_int_ge(ct_man_examples(&parser, "docs/relayd.conf.5", NULL,
	    NULL), 2);
}
END_TEST

Suite *
suite_relayd_conf(void)
{
	Suite	*s = suite_create("relayd_conf");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_control);
	tcase_add_test(tc, test_log_level);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_twice);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_parse_misc);
	tcase_add_test(tc, test_allows);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_unchecked_fixture(tc, tmp_setup, ct_tmp_teardown);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_load_missing);
	tcase_add_test(tc, test_load_directory);
	tcase_add_test(tc, test_load_size);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_man_examples);
	suite_add_tcase(s, tc);

	return s;
}
