/*
 * test_conf.c: the configuration lexer and value parsers (common/conf.c).
 *
 * conf_lines() is driven with a callback that records every line it is
 * given as "LINENO:word|word|...", so one string comparison checks the
 * line numbers, the splitting and the quoting together.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "suites.h"

struct rec {
	char	out[4096];
	int	calls;
	int	fail_at;	/* callback fails on this call, 0: never */
};

static int
record(void *arg, struct conf_line *l, char *err, size_t errlen)
{
	struct rec	*r = arg;
	size_t		 o = strlen(r->out);
	int		 i;

	r->calls++;
	ck_assert_int_gt(l->argc, 0);
	ck_assert_int_le(l->argc, CONF_MAX_WORDS);
	o += (size_t)snprintf(r->out + o, sizeof(r->out) - o, "%s%u:",
	    o > 0 ? " " : "", l->lineno);
	for (i = 0; i < l->argc; i++)
		o += (size_t)snprintf(r->out + o, sizeof(r->out) - o, "%s%s",
		    i > 0 ? "|" : "", l->argv[i]);
	ck_assert_uint_lt(o, sizeof(r->out));
	if (r->calls == r->fail_at) {
		conf_error(err, errlen, l, "callback says no to %s",
		    l->argv[0]);
		return -1;
	}
	return 0;
}

/* Lines of text (up to its NUL) recorded; returns conf_lines()' result. */
static int
lex(const char *text, struct rec *r, char *err)
{
	memset(r, 0, sizeof(*r));
	err[0] = '\0';
	return conf_lines(text, strlen(text), "t.conf", record, r, err,
	    CONF_ERR_LEN);
}

static void
lex_ok(const char *text, const char *want)
{
	struct rec	r;
	char		err[CONF_ERR_LEN];

	ck_assert_msg(lex(text, &r, err) == 0, "\"%s\": %s", text, err);
	ck_assert_str_eq(r.out, want);
}

static void
lex_bad(const char *text, const char *want)
{
	struct rec	r;
	char		err[CONF_ERR_LEN];

	ck_assert_msg(lex(text, &r, err) == -1, "\"%s\" accepted", text);
	ck_assert_str_eq(err, want);
}

START_TEST(test_lines_split)
{
	lex_ok("", "");
	lex_ok("\n\n\n", "");
	lex_ok("a", "1:a");
	lex_ok("a b c\n", "1:a|b|c");
	lex_ok("  \t a\t\tb  \n", "1:a|b");
	lex_ok("a\n\nb\n", "1:a 3:b");
	/* no trailing newline: the last line counts all the same */
	lex_ok("a\nb c", "1:a 2:b|c");
}
END_TEST

START_TEST(test_lines_comments)
{
	lex_ok("# a comment\n", "");
	lex_ok("   # indented\n\t#\n", "");
	lex_ok("a b # c d\n", "1:a|b");
	lex_ok("a b#c\n", "1:a|b");
	lex_ok("#x\na\n#y\nb # z", "2:a 4:b");
	lex_ok("a \"# not a comment\" # a comment\n", "1:a|# not a comment");
}
END_TEST

START_TEST(test_lines_quotes)
{
	lex_ok("control \"/run/my dir/x.sock\" mode 0600\n",
	    "1:control|/run/my dir/x.sock|mode|0600");
	lex_ok("a \"\" b\n", "1:a||b");
	lex_ok("\"a\"\n", "1:a");
	lex_ok("\"a\"# c\n", "1:a");
	lex_ok("\"tab\there\"\n", "1:tab\there");
	/* a quote inside a word is part of it */
	lex_ok("ab\"c\n", "1:ab\"c");
	lex_bad("a \"b c\n", "t.conf:1: unterminated quote");
	lex_bad("x\n\"", "t.conf:2: unterminated quote");
	lex_bad("a \"b\"c\n",
	    "t.conf:1: closing quote not followed by a blank");
	lex_bad("\"a\"\"b\"\n",
	    "t.conf:1: closing quote not followed by a blank");
}
END_TEST

START_TEST(test_lines_crlf)
{
	lex_ok("a b\r\nc\r\n", "1:a|b 2:c");
	lex_ok("a \"b\"\r\n", "1:a|b");
	lex_ok("a # c\r\n\r\n\r\nd", "1:a 4:d");
	lex_bad("a \"b\r\n", "t.conf:1: unterminated quote");
}
END_TEST

START_TEST(test_lines_words)
{
	char	buf[256];
	size_t	o = 0;
	int	i;

	/* CONF_MAX_WORDS words, and a comment after them, are fine */
	for (i = 0; i < CONF_MAX_WORDS; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%c ",
		    'a' + i);
	snprintf(buf + o, sizeof(buf) - o, "  # x y\n");
	lex_ok(buf, "1:a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p");
	/* one more is not */
	snprintf(buf + o, sizeof(buf) - o, "q\n");
	lex_bad(buf, "t.conf:1: too many words (at most 16)");
}
END_TEST

START_TEST(test_lines_long)
{
	char	*text;
	char	 want[64];

	text = malloc(4096);
	ck_assert_ptr_nonnull(text);
	/* 1023 bytes is the longest line */
	memset(text, 'x', CONF_MAX_LINE - 1);
	strcpy(text + CONF_MAX_LINE - 1, "\ny\n");
	{
		struct rec	r;
		char		err[CONF_ERR_LEN];

		ck_assert_int_eq(lex(text, &r, err), 0);
		ck_assert_int_eq(r.calls, 2);
		ck_assert_uint_eq(strlen(r.out), 2 + CONF_MAX_LINE - 1 + 4);
	}
	/* 1024 is too long, with or without its newline, on its own line */
	memset(text, 'x', CONF_MAX_LINE);
	text[CONF_MAX_LINE] = '\0';
	lex_bad(text, "t.conf:1: line longer than 1023 bytes");
	strcpy(text, "a\n#\n");
	memset(text + 4, ' ', CONF_MAX_LINE);
	strcpy(text + 4 + CONF_MAX_LINE, "\n");
	lex_bad(text, "t.conf:3: line longer than 1023 bytes");
	/* CRLF: the \r counts */
	memset(text, 'x', CONF_MAX_LINE - 1);
	strcpy(text + CONF_MAX_LINE - 1, "\r\n");
	snprintf(want, sizeof(want), "t.conf:1: line longer than %d bytes",
	    CONF_MAX_LINE - 1);
	lex_bad(text, want);
	free(text);
}
END_TEST

START_TEST(test_lines_nul)
{
	static const char	text[] = "a\nb\0c\nd\n";
	struct rec		r;
	char			err[CONF_ERR_LEN];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(conf_lines(text, sizeof(text) - 1, "t.conf", record,
	    &r, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:2: NUL byte in line");
	ck_assert_str_eq(r.out, "1:a");
	/* a NUL at the very end, after the last newline */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(conf_lines("a\n\0", 3, "t.conf", record, &r, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "t.conf:2: NUL byte in line");
	/* len is what counts, not a terminating NUL */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(conf_lines("a b\nc", 3, "t.conf", record, &r, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(r.out, "1:a|b");
	/* nothing at all, even without a buffer */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(conf_lines(NULL, 0, "t.conf", record, &r, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(r.calls, 0);
}
END_TEST

START_TEST(test_lines_callback_error)
{
	struct rec	r;
	char		err[CONF_ERR_LEN];

	memset(&r, 0, sizeof(r));
	r.fail_at = 2;
	ck_assert_int_eq(conf_lines("a\n\nb\nc\n", 7, "f", record, &r, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "f:3: callback says no to b");
	ck_assert_int_eq(r.calls, 2);
}
END_TEST

START_TEST(test_error_truncated)
{
	struct conf_line	l;
	char			err[16];

	memset(&l, 0, sizeof(l));
	l.file = "relayd.conf";
	l.lineno = 12;
	memset(err, 'z', sizeof(err));
	conf_error(err, sizeof(err), &l, "%s", "a long message here");
	ck_assert_str_eq(err, "relayd.conf:12:");
	/* The prefix alone too long */
	l.file = "a-very-long-file-name.conf";
	conf_error(err, sizeof(err), &l, "x");
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
	/* No file name at all */
	l.file = NULL;
	conf_error(err, sizeof(err), &l, "x");
	ck_assert_str_eq(err, "-:12: x");
}
END_TEST

START_TEST(test_uint)
{
	uint64_t	v;

	ck_assert_int_eq(conf_uint("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(conf_uint("10", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(conf_uint("007", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(conf_uint("18446744073709551615", 0, UINT64_MAX,
	    &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);

	v = 42;
	ck_assert_int_eq(conf_uint("11", 0, 10, &v), -1);
	ck_assert_int_eq(conf_uint("4", 5, 10, &v), -1);
	ck_assert_int_eq(conf_uint("18446744073709551616", 0, UINT64_MAX,
	    &v), -1);
	ck_assert_int_eq(conf_uint("", 0, 10, &v), -1);
	ck_assert_int_eq(conf_uint("-1", 0, UINT64_MAX, &v), -1);
	ck_assert_int_eq(conf_uint("+1", 0, 10, &v), -1);
	ck_assert_int_eq(conf_uint(" 1", 0, 10, &v), -1);
	ck_assert_int_eq(conf_uint("1 ", 0, 10, &v), -1);
	ck_assert_int_eq(conf_uint("0x1", 0, 10, &v), -1);
	ck_assert_int_eq(conf_uint("1k", 0, 10000, &v), -1);
	ck_assert_uint_eq(v, 42);	/* untouched on failure */
}
END_TEST

START_TEST(test_duration)
{
	static const struct {
		const char	*s;
		uint64_t	 ms;
	} good[] = {
		{ "0", 0 }, { "250ms", 250 }, { "10", 10000 },
		{ "10s", 10000 }, { "5m", 300000 }, { "2h", 7200000 },
		{ "1d", 86400000 }, { "0ms", 0 }, { "1000ms", 1000 },
		{ "18446744073709551615ms", UINT64_MAX },
		{ "18446744073709551s", 18446744073709551000ull },
	};
	static const char *const bad[] = {
		"", "s", "ms", "10x", "10 s", "10S", "10M", "1.5s", "-1s",
		"10sec", "10mss", "1w", " 10", "18446744073709551616ms",
		"18446744073709552s", "18446744073709552", "213503982335d",
	};
	uint64_t	v;
	size_t		i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(conf_duration_ms(good[i].s, &v) == 0, "%s",
		    good[i].s);
		ck_assert_msg(v == good[i].ms, "%s: %llu", good[i].s,
		    (unsigned long long)v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_duration_ms(bad[i], &v) == -1, "\"%s\"",
		    bad[i]);
}
END_TEST

START_TEST(test_size)
{
	static const struct {
		const char	*s;
		uint64_t	 n;
	} good[] = {
		{ "0", 0 }, { "4096", 4096 }, { "64k", 65536 },
		{ "64K", 65536 }, { "1m", 1048576 }, { "1M", 1048576 },
		{ "2g", 2147483648ull }, { "2G", 2147483648ull },
		{ "17179869183G", 17179869183ull << 30 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "k", "1kb", "1KiB", "1T", "1 k", "1.5M", "-1", "1b",
		"17179869184G", "18014398509481984k", "18446744073709551616",
	};
	uint64_t	v;
	size_t		i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(conf_size(good[i].s, &v) == 0, "%s", good[i].s);
		ck_assert_msg(v == good[i].n, "%s: %llu", good[i].s,
		    (unsigned long long)v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_size(bad[i], &v) == -1, "\"%s\"", bad[i]);
}
END_TEST

START_TEST(test_bool)
{
	static const char *const yes[] = { "yes", "on", "true" };
	static const char *const no[] = { "no", "off", "false" };
	static const char *const bad[] = { "", "1", "0", "YES", "y", "nope",
	    "true " };
	int	v;
	size_t	i;

	for (i = 0; i < 3; i++) {
		v = -1;
		ck_assert_int_eq(conf_bool(yes[i], &v), 0);
		ck_assert_int_eq(v, 1);
		ck_assert_int_eq(conf_bool(no[i], &v), 0);
		ck_assert_int_eq(v, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		ck_assert_msg(conf_bool(bad[i], &v) == -1, "\"%s\"", bad[i]);
		ck_assert_int_eq(v, 7);
	}
}
END_TEST

static void
prefix_ok(const char *s, int family, const char *addr, unsigned bits)
{
	struct conf_prefix	p;
	uint8_t			want[16];

	memset(want, 0, sizeof(want));
	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_msg(conf_prefix(s, &p) == 0, "%s refused", s);
	ck_assert_int_eq(p.family, family);
	ck_assert_uint_eq(p.bits, bits);
	ck_assert_msg(memcmp(p.addr, want, sizeof(want)) == 0, "%s", s);
}

START_TEST(test_prefix)
{
	static const char *const bad[] = {
		"", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/ 8", "10.0.0/8",
		"10.0.0.256", "10.0.0.0.0", "010.0.0.0", "10.0.0.0/8x",
		"::/129", "2001:db8::/32/", "2001:db8:::/32", "fe80::1%eth0",
		"example.org", "any", "*",
		/* host bits set under the mask */
		"10.1.2.3/8", "10.0.0.1/31", "192.0.2.128/24", "1.0.0.0/0",
		"2001:db8::1/32", "::1/127", "::1/0", "2001:db8:8000::/32",
		/* too long to be an address */
		("0000:0000:0000:0000:0000:0000:0000:0000:"
		    "0000:0000:0000:0000/128"),
	};
	struct conf_prefix	p;
	size_t			i;

	prefix_ok("192.0.2.1", AF_INET, "192.0.2.1", 32);
	prefix_ok("192.0.2.1/32", AF_INET, "192.0.2.1", 32);
	prefix_ok("192.0.2.0/24", AF_INET, "192.0.2.0", 24);
	prefix_ok("10.0.0.0/8", AF_INET, "10.0.0.0", 8);
	prefix_ok("10.0.0.0/08", AF_INET, "10.0.0.0", 8);
	prefix_ok("0.0.0.0/0", AF_INET, "0.0.0.0", 0);
	prefix_ok("128.0.0.0/1", AF_INET, "128.0.0.0", 1);
	prefix_ok("255.255.255.254/31", AF_INET, "255.255.255.254", 31);
	prefix_ok("::1", AF_INET6, "::1", 128);
	prefix_ok("::1/128", AF_INET6, "::1", 128);
	prefix_ok("::/0", AF_INET6, "::", 0);
	prefix_ok("2001:db8::/32", AF_INET6, "2001:db8::", 32);
	prefix_ok("2001:DB8::/32", AF_INET6, "2001:db8::", 32);
	prefix_ok("2001:db8::/33", AF_INET6, "2001:db8::", 33);
	prefix_ok("::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1", 128);
	prefix_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", AF_INET6,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 127);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_prefix(bad[i], &p) == -1, "\"%s\"", bad[i]);
}
END_TEST

static int
match(const char *prefix, const char *addr)
{
	struct conf_prefix	p;
	uint8_t			a[16];
	int			family;

	ck_assert_msg(conf_prefix(prefix, &p) == 0, "%s", prefix);
	family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	memset(a, 0xee, sizeof(a));	/* past a v4 address: not read */
	ck_assert_int_eq(inet_pton(family, addr, a), 1);
	return conf_prefix_match(&p, family, a);
}

START_TEST(test_prefix_match)
{
	/* /0 takes all of its family, none of the other */
	ck_assert(match("0.0.0.0/0", "255.255.255.255"));
	ck_assert(match("0.0.0.0/0", "0.0.0.0"));
	ck_assert(!match("0.0.0.0/0", "::"));
	ck_assert(match("::/0", "ffff::1"));
	ck_assert(!match("::/0", "0.0.0.0"));
	ck_assert(!match("::/0", "10.0.0.1"));

	/* whole addresses */
	ck_assert(match("192.0.2.1", "192.0.2.1"));
	ck_assert(!match("192.0.2.1", "192.0.2.0"));
	ck_assert(!match("192.0.2.1", "192.0.2.3"));
	ck_assert(!match("192.0.2.1", "193.0.2.1"));
	ck_assert(match("2001:db8::1", "2001:db8::1"));
	ck_assert(!match("2001:db8::1", "2001:db8::"));
	ck_assert(!match("2001:db8::1", "2001:db8::1:1"));

	/* the edges of a byte boundary */
	ck_assert(match("192.0.2.0/24", "192.0.2.0"));
	ck_assert(match("192.0.2.0/24", "192.0.2.255"));
	ck_assert(!match("192.0.2.0/24", "192.0.3.0"));
	ck_assert(!match("192.0.2.0/24", "192.0.1.255"));

	/* inside a byte: first and last bit of the mask */
	ck_assert(match("128.0.0.0/1", "255.0.0.0"));
	ck_assert(!match("128.0.0.0/1", "127.255.255.255"));
	ck_assert(match("0.0.0.0/1", "127.255.255.255"));
	ck_assert(match("10.0.0.0/15", "10.1.255.255"));
	ck_assert(!match("10.0.0.0/15", "10.2.0.0"));
	ck_assert(!match("10.0.0.0/15", "11.0.0.0"));
	ck_assert(match("192.0.2.254/31", "192.0.2.255"));
	ck_assert(!match("192.0.2.254/31", "192.0.2.253"));
	ck_assert(match("192.0.2.128/25", "192.0.2.128"));
	ck_assert(!match("192.0.2.128/25", "192.0.2.127"));
	ck_assert(match("192.0.2.0/30", "192.0.2.3"));
	ck_assert(!match("192.0.2.0/30", "192.0.2.4"));

	ck_assert(match("2001:db8::/32", "2001:db8:ffff:ffff::1"));
	ck_assert(!match("2001:db8::/32", "2001:db9::"));
	ck_assert(match("2001:db8::/33", "2001:db8:7fff::"));
	ck_assert(!match("2001:db8::/33", "2001:db8:8000::"));
	ck_assert(match("::/127", "::1"));
	ck_assert(!match("::/127", "::2"));
	ck_assert(match("fe80::/10", "febf::1"));
	ck_assert(!match("fe80::/10", "fec0::1"));
	ck_assert(!match("fe80::/10", "fe7f::1"));
	ck_assert(match("8000::/1", "ffff::"));
	ck_assert(!match("8000::/1", "7fff::"));
}
END_TEST

START_TEST(test_ports)
{
	static const struct {
		const char	*s;
		uint16_t	 lo, hi;
	} good[] = {
		{ "any", 1, 65535 }, { "1", 1, 1 }, { "22", 22, 22 },
		{ "65535", 65535, 65535 }, { "8000-8099", 8000, 8099 },
		{ "1-65535", 1, 65535 }, { "80-80", 80, 80 },
		{ "0080", 80, 80 },
	};
	static const char *const bad[] = {
		"", "0", "65536", "99999999999999999999", "-", "-80", "80-",
		"8099-8000", "2-1", "0-10", "10-65536", "1-2-3", "80 ",
		"ANY", "anything", "http", "0x50", "+80", "80--90",
		"10000000000000000000",
	};
	struct conf_ports	p;
	size_t			i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&p, 0, sizeof(p));
		ck_assert_msg(conf_ports(good[i].s, &p) == 0, "%s", good[i].s);
		ck_assert_uint_eq(p.lo, good[i].lo);
		ck_assert_uint_eq(p.hi, good[i].hi);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.lo = p.hi = 7;
		ck_assert_msg(conf_ports(bad[i], &p) == -1, "\"%s\"", bad[i]);
		ck_assert_uint_eq(p.lo, 7);
	}
}
END_TEST

static void
hostport_ok(const char *s, int family, const char *addr, uint16_t port)
{
	struct conf_hostport	hp;
	uint8_t			want[16];

	memset(want, 0, sizeof(want));
	if (addr != NULL)
		ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_msg(conf_hostport(s, &hp) == 0, "%s refused", s);
	ck_assert_int_eq(hp.family, family);
	ck_assert_uint_eq(hp.port, port);
	ck_assert_msg(memcmp(hp.addr, want, sizeof(want)) == 0, "%s", s);
}

START_TEST(test_hostport)
{
	static const char *const bad[] = {
		"", ":", "7000", ":7000", "*", "*:", "*:0", "*:65536",
		"0.0.0.0", "0.0.0.0:", "0.0.0.0:0", "0.0.0.0:70000",
		"0.0.0.0:7000:1", "0.0.0.0:port", "0.0.0.0: 7000",
		"localhost:7000", "1.2.3:7000",
		/* IPv6 needs brackets */
		"::1:7000", "::7000", "2001:db8::1:7000", "[::1]", "[::1]7000",
		"[::1]:", "[::1:7000", "::1]:7000", "[::1]:0",
		"[::1]:65536", "[127.0.0.1]:7000", "[*]:7000", "[]:7000",
		"[fe80::1%eth0]:7000",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:7000",
	};
	struct conf_hostport	hp;
	size_t			i;

	hostport_ok("0.0.0.0:7000", AF_INET, "0.0.0.0", 7000);
	hostport_ok("127.0.0.1:7000", AF_INET, "127.0.0.1", 7000);
	hostport_ok("192.0.2.1:1", AF_INET, "192.0.2.1", 1);
	hostport_ok("192.0.2.1:65535", AF_INET, "192.0.2.1", 65535);
	hostport_ok("[::]:7000", AF_INET6, "::", 7000);
	hostport_ok("[::1]:22", AF_INET6, "::1", 22);
	hostport_ok("[2001:db8::1]:7000", AF_INET6, "2001:db8::1", 7000);
	hostport_ok("[::ffff:192.0.2.1]:7000", AF_INET6, "::ffff:192.0.2.1",
	    7000);
	hostport_ok("*:7000", AF_UNSPEC, NULL, 7000);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_hostport(bad[i], &hp) == -1, "\"%s\"",
		    bad[i]);
}
END_TEST

Suite *
suite_conf(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc;

	tc = tcase_create("lines");
	tcase_add_test(tc, test_lines_split);
	tcase_add_test(tc, test_lines_comments);
	tcase_add_test(tc, test_lines_quotes);
	tcase_add_test(tc, test_lines_crlf);
	tcase_add_test(tc, test_lines_words);
	tcase_add_test(tc, test_lines_long);
	tcase_add_test(tc, test_lines_nul);
	tcase_add_test(tc, test_lines_callback_error);
	tcase_add_test(tc, test_error_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_prefix);
	tcase_add_test(tc, test_prefix_match);
	tcase_add_test(tc, test_ports);
	tcase_add_test(tc, test_hostport);
	suite_add_tcase(s, tc);

	return s;
}
