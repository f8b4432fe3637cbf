// SPDX-License-Identifier: GPL-2.0
/*
 * Description: chanstat (/kchan/tools/chanstat) shows what sysfs and
 * CHAN_IOC_GET_STATS say, in each of its formats. Four channels get
 * traffic: a buffered one (5 sends, 2 receives: len 3), an unbuffered one
 * where a receiver and then a sender stay parked for WAIT_MS in a child
 * (so each wait histogram has a bucket at or above WAIT_MS), one whose
 * breaker is forced open, and one whose sender a rate limiter holds to
 * RATE messages/s.
 * - The table has a row per channel with its capacity, len, fill bar,
 *   parked waiters, breaker ("off" when disabled, "open" when forced),
 *   the send-wait percentiles and max, and a send rate near RATE; its
 *   columns are aligned; a parked receiver shows in WAIT-R.
 * - --json is well-formed JSON (a validator below), one object per
 *   channel sorted by index, whose gauges and counters equal sysfs's and
 *   whose histograms sum to sent and received, p50/p99 where the waits put
 *   them.
 * - --prometheus obeys the text format 0.0.4 line by line (names, labels
 *   and their escapes, HELP/TYPE once and before the samples, families
 *   contiguous, counters in _total, histogram buckets cumulative up to
 *   le="+Inf" == _count) and its values equal sysfs's.
 * - --watch 1 --count 2 prints two tables a blank line apart in about two
 *   seconds; SIGINT ends a --watch with status 0; on a terminal it clears
 *   the screen and colours an open breaker red, unless NO_COLOR is set.
 * - --waiters lists a parked receiver's pid with op recv (SKIP until the
 *   module has debugfs waiters files; until then it must exit 1).
 * - As an unprivileged user (the nodes are 0600) the percentiles show "-",
 *   JSON has null histograms and Prometheus no chan_wait_seconds samples.
 * - Usage errors exit 2, a missing channel 1, --help 0.
 * The histogram checks SKIP while the module has no CHAN_IOC_GET_STATS.
 */
#include <ctype.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "helpers.h"

#define CHANSTAT	"/kchan/tools/chanstat"	/* override: KCHAN_CHANSTAT */
#define DEBUGFS		"/sys/kernel/debug"
#define DEBUGFS_MAGIC	0x64626720

#define MSG		64
#define WAIT_MS		150	/* how long the unbuffered channel's waiters park */
#define RATE		50	/* messages/s of the rate-limited channel */
#define RATE_MSGS	150	/* what its sender sends: 3 s */
#define OUT_MAX		(1 << 20)
#define RUN_MS		20000	/* a chanstat run that takes longer hangs */

/* ==== running chanstat ==== */

enum run_flags {
	RUN_UNPRIVILEGED = 1,	/* as uid/gid 65534 */
	RUN_PTY = 2,		/* stdout a terminal */
	RUN_NO_COLOR = 4,	/* NO_COLOR=1 */
};

struct run {
	pid_t pid;
	int out_fd;
	int err_fd;
	uint64_t t_start;
	/* results */
	char *out;		/* stdout, NUL-terminated */
	size_t out_len;
	char err[4096];		/* stderr */
	int exit_code;		/* or -signal, or -1 when it hung */
	uint64_t elapsed_ms;
};

struct run_child {
	const char *bin;
	char *const *argv;
	int flags;
	int out_fd;		/* a pipe's end or a pty's slave */
	int err_fd;
};

static const char *chanstat_bin(void)
{
	return getenv("KCHAN_CHANSTAT") ?: CHANSTAT;
}

static int run_child_exec(void *arg)
{
	struct run_child *rc = arg;

	dup2(rc->out_fd, STDOUT_FILENO);
	dup2(rc->err_fd, STDERR_FILENO);
	if (rc->flags & RUN_NO_COLOR)
		setenv("NO_COLOR", "1", 1);
	else
		unsetenv("NO_COLOR");
	if ((rc->flags & RUN_UNPRIVILEGED) && t_drop_privs())
		_exit(126);
	execv(rc->bin, rc->argv);
	_exit(127);
}

/* Start chanstat with @args (NULL-terminated); 0 or -errno. */
static int run_start(struct run *r, int flags, const char *const *args)
{
	char *argv[16];
	struct run_child rc = { .bin = chanstat_bin(), .argv = argv,
				.flags = flags };
	int ends[2], i;

	memset(r, 0, sizeof(*r));
	argv[0] = (char *)rc.bin;
	for (i = 0; args[i] && i < (int)T_ARRAY_SIZE(argv) - 2; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	r->err_fd = memfd_create("chanstat-stderr", MFD_CLOEXEC);
	if (r->err_fd < 0)
		return -errno;
	rc.err_fd = r->err_fd;
	if (flags & RUN_PTY) {
		/* The slave is open before the child runs: no early EIO. */
		ends[0] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (ends[0] < 0 || grantpt(ends[0]) || unlockpt(ends[0]))
			return -errno;
		ends[1] = open(ptsname(ends[0]), O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (ends[1] < 0)
			return -errno;
	} else if (pipe2(ends, O_CLOEXEC)) {
		return -errno;
	}
	r->out_fd = ends[0];
	rc.out_fd = ends[1];
	r->t_start = t_now_ns();
	r->pid = t_fork(run_child_exec, &rc);
	close(ends[1]);
	return r->pid > 0 ? 0 : -ECHILD;
}

/* Read all of chanstat's output (a pty's master gives EIO at the end). */
static void run_collect(struct run *r)
{
	uint64_t end = r->t_start + (uint64_t)RUN_MS * T_NSEC_PER_MSEC;
	struct pollfd pfd = { .fd = r->out_fd, .events = POLLIN };
	ssize_t n;

	r->out = malloc(OUT_MAX);
	if (!r->out)
		t_bail("out of memory");
	while (r->out_len < OUT_MAX - 1 && t_now_ns() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(r->out_fd, r->out + r->out_len,
			 OUT_MAX - 1 - r->out_len);
		if (n <= 0)
			break;
		r->out_len += n;
	}
	r->out[r->out_len] = '\0';
	close(r->out_fd);
}

static void run_finish(struct run *r)
{
	int status = 0;
	ssize_t n;

	run_collect(r);
	if (t_wait_child(r->pid, RUN_MS, &status))
		r->exit_code = -1;
	else if (WIFSIGNALED(status))
		r->exit_code = -WTERMSIG(status);
	else
		r->exit_code = WEXITSTATUS(status);
	r->elapsed_ms = (t_now_ns() - r->t_start) / T_NSEC_PER_MSEC;
	n = pread(r->err_fd, r->err, sizeof(r->err) - 1, 0);
	r->err[n > 0 ? n : 0] = '\0';
	close(r->err_fd);
	if (r->exit_code == 126 || r->exit_code == 127)
		t_diag("could not run %s (exit %d)", chanstat_bin(), r->exit_code);
	if (r->err[0])
		t_diag("chanstat's stderr: %.*s", (int)strcspn(r->err, "\n"),
		       r->err);
}

static void run_free(struct run *r)
{
	free(r->out);
	r->out = NULL;
}

/* Run chanstat to its end: chanstat(&r, 0, "--json", NULL). */
static void chanstat(struct run *r, int flags, ...)
{
	const char *args[14];
	va_list ap;
	int n = 0;

	va_start(ap, flags);
	while (n < (int)T_ARRAY_SIZE(args) - 1 &&
	       (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	if (run_start(r, flags, args))
		t_bail("cannot start %s: %m", chanstat_bin());
	run_finish(r);
}

static const char *idx_arg(int index)
{
	static char bufs[4][16];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%d", index);
	return b;
}

/* ==== a JSON validator, keeping a tree of what it read ==== */

#define J_MAX_NODES	16384
#define J_MAX_DEPTH	32

enum j_type { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct j_node {
	enum j_type type;
	const char *key;	/* member name (raw) in the parent object */
	int key_len;
	const char *text;	/* number: its text; string: its contents (raw) */
	int text_len;
	int first;		/* first child, or -1 */
	int next;		/* next sibling, or -1 */
	int count;		/* children */
};

struct j_doc {
	const char *start;
	struct j_node nodes[J_MAX_NODES];
	int nr;
	const char *err;	/* what is wrong first, NULL if well-formed */
	size_t err_at;
};

static int j_fail(struct j_doc *d, const char *p, const char *why)
{
	if (!d->err) {
		d->err = why;
		d->err_at = p - d->start;
	}
	return -1;
}

static const char *j_skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* After the closing quote of the string at @p, or NULL. */
static const char *j_string_end(const char *p)
{
	int i;

	for (p++; *p != '"'; p++) {
		if (!*p || (unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return p + 1;
}

static const char *j_digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

/* After the number at @p (RFC 8259 grammar), or NULL. */
static const char *j_number_end(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else
		p = j_digits(p);
	if (p && *p == '.')
		p = j_digits(p + 1);
	if (p && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = j_digits(p);
	}
	return p;
}

static int j_new(struct j_doc *d, const char *p, enum j_type type)
{
	struct j_node *n;

	if (d->nr == J_MAX_NODES)
		return j_fail(d, p, "too many values for the validator");
	n = &d->nodes[d->nr];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->first = -1;
	n->next = -1;
	return d->nr++;
}

static void j_append(struct j_doc *d, int parent, int *last, int child)
{
	if (*last < 0)
		d->nodes[parent].first = child;
	else
		d->nodes[*last].next = child;
	*last = child;
	d->nodes[parent].count++;
}

static int j_value(struct j_doc *d, const char **pp, int depth);

static bool j_key_taken(struct j_doc *d, int obj, const char *key, int len)
{
	int c;

	for (c = d->nodes[obj].first; c >= 0; c = d->nodes[c].next)
		if (d->nodes[c].key_len == len &&
		    !memcmp(d->nodes[c].key, key, len))
			return true;
	return false;
}

static int j_members(struct j_doc *d, const char **pp, int obj, int depth)
{
	const char *p = j_skip_ws(*pp + 1), *key, *end;
	int last = -1, child;

	if (*p == '}') {
		*pp = p + 1;
		return obj;
	}
	for (;;) {
		end = *p == '"' ? j_string_end(p) : NULL;
		if (!end)
			return j_fail(d, p, "expected a member name");
		key = p + 1;
		p = j_skip_ws(end);
		if (*p != ':')
			return j_fail(d, p, "expected ':'");
		if (j_key_taken(d, obj, key, (int)(end - 1 - key)))
			return j_fail(d, key, "duplicate key");
		p = j_skip_ws(p + 1);
		child = j_value(d, &p, depth + 1);
		if (child < 0)
			return -1;
		d->nodes[child].key = key;
		d->nodes[child].key_len = (int)(end - 1 - key);
		j_append(d, obj, &last, child);
		p = j_skip_ws(p);
		if (*p == '}')
			break;
		if (*p != ',')
			return j_fail(d, p, "expected ',' or '}'");
		p = j_skip_ws(p + 1);
	}
	*pp = p + 1;
	return obj;
}

static int j_elements(struct j_doc *d, const char **pp, int arr, int depth)
{
	const char *p = j_skip_ws(*pp + 1);
	int last = -1, child;

	if (*p == ']') {
		*pp = p + 1;
		return arr;
	}
	for (;;) {
		child = j_value(d, &p, depth + 1);
		if (child < 0)
			return -1;
		j_append(d, arr, &last, child);
		p = j_skip_ws(p);
		if (*p == ']')
			break;
		if (*p != ',')
			return j_fail(d, p, "expected ',' or ']'");
		p = j_skip_ws(p + 1);
	}
	*pp = p + 1;
	return arr;
}

static int j_literal(struct j_doc *d, const char **pp)
{
	static const struct { const char *word; enum j_type type; } lits[] = {
		{ "null", J_NULL }, { "true", J_TRUE }, { "false", J_FALSE },
	};
	size_t i, len;

	for (i = 0; i < T_ARRAY_SIZE(lits); i++) {
		len = strlen(lits[i].word);
		if (!strncmp(*pp, lits[i].word, len)) {
			*pp += len;
			return j_new(d, *pp, lits[i].type);
		}
	}
	return j_fail(d, *pp, "expected a value");
}

/* The value at *@pp: its node, *@pp moved past it; -1 when malformed. */
static int j_value(struct j_doc *d, const char **pp, int depth)
{
	const char *p = *pp, *end;
	int n;

	if (depth > J_MAX_DEPTH)
		return j_fail(d, p, "nested too deep");
	if (*p == '{' || *p == '[') {
		n = j_new(d, p, *p == '{' ? J_OBJECT : J_ARRAY);
		if (n < 0)
			return -1;
		return *p == '{' ? j_members(d, pp, n, depth) :
				   j_elements(d, pp, n, depth);
	}
	if (*p == '"' || *p == '-' || isdigit((unsigned char)*p)) {
		end = *p == '"' ? j_string_end(p) : j_number_end(p);
		if (!end)
			return j_fail(d, p, *p == '"' ? "bad string" : "bad number");
		n = j_new(d, p, *p == '"' ? J_STRING : J_NUMBER);
		if (n < 0)
			return -1;
		d->nodes[n].text = *p == '"' ? p + 1 : p;
		d->nodes[n].text_len = (int)(end - p) - (*p == '"' ? 2 : 0);
		*pp = end;
		return n;
	}
	return j_literal(d, pp);
}

/* Parse @text into @d: true when it is exactly one well-formed value. */
static bool j_parse(struct j_doc *d, const char *text)
{
	const char *p = j_skip_ws(text);

	d->start = text;
	d->nr = 0;
	d->err = NULL;
	if (j_value(d, &p, 0) < 0)
		return false;
	p = j_skip_ws(p);
	if (*p)
		j_fail(d, p, "text after the document");
	return !d->err;
}

/* Member @key of object @obj, or -1. */
static int j_get(const struct j_doc *d, int obj, const char *key)
{
	int c;

	if (obj < 0 || d->nodes[obj].type != J_OBJECT)
		return -1;
	for (c = d->nodes[obj].first; c >= 0; c = d->nodes[c].next)
		if (d->nodes[c].key_len == (int)strlen(key) &&
		    !memcmp(d->nodes[c].key, key, d->nodes[c].key_len))
			return c;
	return -1;
}

/* Element @i of array @arr, or -1. */
static int j_at(const struct j_doc *d, int arr, int i)
{
	int c;

	if (arr < 0 || d->nodes[arr].type != J_ARRAY)
		return -1;
	for (c = d->nodes[arr].first; c >= 0 && i; c = d->nodes[c].next)
		i--;
	return c;
}

/* Node @n as a whole non-negative number: its value, or LLONG_MIN. */
static long long j_num(const struct j_doc *d, int n)
{
	char buf[32];

	if (n < 0 || d->nodes[n].type != J_NUMBER ||
	    d->nodes[n].text_len >= (int)sizeof(buf))
		return LLONG_MIN;
	memcpy(buf, d->nodes[n].text, d->nodes[n].text_len);
	buf[d->nodes[n].text_len] = '\0';
	if (strspn(buf, "0123456789") != strlen(buf))
		return LLONG_MIN;
	return strtoll(buf, NULL, 10);
}

static bool j_is_null(const struct j_doc *d, int n)
{
	return n >= 0 && d->nodes[n].type == J_NULL;
}

static bool j_str_is(const struct j_doc *d, int n, const char *s)
{
	return n >= 0 && d->nodes[n].type == J_STRING &&
	       d->nodes[n].text_len == (int)strlen(s) &&
	       !memcmp(d->nodes[n].text, s, d->nodes[n].text_len);
}

/* ==== a checker of the Prometheus text format 0.0.4 ==== */

#define P_MAX_FAMILIES	64
#define P_MAX_SAMPLES	8192
#define P_MAX_LABELS	4
#define P_NAME		64

struct p_family {
	char name[P_NAME];
	char type[16];
	bool help, samples, closed;
};

struct p_sample {
	char name[P_NAME];
	int line;
	int family;
	int nlabels;
	char lname[P_MAX_LABELS][P_NAME];
	char lvalue[P_MAX_LABELS][P_NAME];
	double value;
};

struct p_doc {
	struct p_family fam[P_MAX_FAMILIES];
	int nfam;
	struct p_sample s[P_MAX_SAMPLES];
	int ns;
	int current;		/* family of the last sample line */
	char err[256];		/* the first violation, "" if none */
};

static __attribute__((format(printf, 3, 4)))
bool p_fail(struct p_doc *d, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d->err[0])
		return false;
	n = snprintf(d->err, sizeof(d->err), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(d->err + n, sizeof(d->err) - n, fmt, ap);
	va_end(ap);
	return false;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (without ':' for label names): its length. */
static size_t p_name_len(const char *p, bool metric)
{
	size_t n = 0;

	while (isalpha((unsigned char)p[n]) || p[n] == '_' ||
	       (metric && p[n] == ':') || (n && isdigit((unsigned char)p[n])))
		n++;
	return n;
}

static int p_family_find(struct p_doc *d, const char *name)
{
	int i;

	for (i = 0; i < d->nfam; i++)
		if (!strcmp(d->fam[i].name, name))
			return i;
	return -1;
}

static bool p_float(const char *s, double *v)
{
	char *end;

	if (!*s)
		return false;
	*v = strtod(s, &end);
	return !*end;
}

/* "# HELP name text" and "# TYPE name type"; other comments pass. */
static bool p_comment(struct p_doc *d, int line, char *text)
{
	static const char *const types[] = {
		"counter", "gauge", "histogram", "summary", "untyped",
	};
	bool help = !strncmp(text, "# HELP ", 7);
	char *name = text + 7, *rest;
	size_t len, i;
	int f;

	if (!help && strncmp(text, "# TYPE ", 7))
		return true;
	len = p_name_len(name, true);
	if (!len || (name[len] != ' ' && name[len] != '\0') || len >= P_NAME)
		return p_fail(d, line, "bad metric name in '%s'", text);
	rest = name[len] ? name + len + 1 : name + len;
	name[len] = '\0';
	f = p_family_find(d, name);
	if (f < 0) {
		if (d->nfam == P_MAX_FAMILIES)
			return p_fail(d, line, "too many families");
		f = d->nfam++;
		snprintf(d->fam[f].name, P_NAME, "%s", name);
	}
	if (d->fam[f].samples)
		return p_fail(d, line, "%s for %s after its samples",
			      help ? "HELP" : "TYPE", name);
	if (help) {
		if (d->fam[f].help)
			return p_fail(d, line, "second HELP for %s", name);
		d->fam[f].help = true;
		for (i = 0; rest[i]; i++)
			if (rest[i] == '\\' && rest[i + 1] != '\\' &&
			    rest[i + 1] != 'n')
				return p_fail(d, line, "bad escape in HELP");
			else if (rest[i] == '\\')
				i++;
		return true;
	}
	if (d->fam[f].type[0])
		return p_fail(d, line, "second TYPE for %s", name);
	for (i = 0; i < T_ARRAY_SIZE(types); i++)
		if (!strcmp(rest, types[i]))
			break;
	if (i == T_ARRAY_SIZE(types))
		return p_fail(d, line, "unknown type '%s'", rest);
	snprintf(d->fam[f].type, sizeof(d->fam[f].type), "%s", rest);
	return true;
}

/* label="value", ...: into @s; *@pp after the closing brace. */
static bool p_labels(struct p_doc *d, int line, char **pp, struct p_sample *s)
{
	char *p = *pp + 1, *v;
	size_t len;

	while (*p != '}') {
		len = p_name_len(p, false);
		if (!len || len >= P_NAME || p[len] != '=' || p[len + 1] != '"')
			return p_fail(d, line, "bad label at '%s'", p);
		if (s->nlabels == P_MAX_LABELS)
			return p_fail(d, line, "too many labels");
		memcpy(s->lname[s->nlabels], p, len);
		s->lname[s->nlabels][len] = '\0';
		v = s->lvalue[s->nlabels];
		for (p += len + 2; *p != '"'; p++) {
			if (!*p || v - s->lvalue[s->nlabels] >= P_NAME - 1)
				return p_fail(d, line, "unterminated label value");
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '"' && *p != 'n')
					return p_fail(d, line, "bad escape in a label value");
			}
			*v++ = *p == 'n' && p[-1] == '\\' ? '\n' : *p;
		}
		*v = '\0';
		s->nlabels++;
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return p_fail(d, line, "expected ',' or '}' at '%s'", p);
	}
	*pp = p + 1;
	return true;
}

/* The family a sample named @name belongs to, or -1. */
static int p_family_of(struct p_doc *d, const char *name)
{
	static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
	char base[P_NAME];
	size_t i, len = strlen(name), sl;
	int f = p_family_find(d, name);

	if (f >= 0)
		return f;
	for (i = 0; i < T_ARRAY_SIZE(suffixes); i++) {
		sl = strlen(suffixes[i]);
		if (len <= sl || strcmp(name + len - sl, suffixes[i]))
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(len - sl), name);
		f = p_family_find(d, base);
		if (f >= 0 && (!strcmp(d->fam[f].type, "histogram") ||
			       (i && !strcmp(d->fam[f].type, "summary"))))
			return f;
	}
	return -1;
}

/* name{labels} value [timestamp] */
static bool p_sample_line(struct p_doc *d, int line, char *text)
{
	struct p_sample *s;
	char *p = text, *value, *ts;
	size_t len = p_name_len(p, true);
	int f;

	if (d->ns == P_MAX_SAMPLES)
		return p_fail(d, line, "too many samples");
	s = &d->s[d->ns];
	memset(s, 0, sizeof(*s));
	if (!len || len >= P_NAME)
		return p_fail(d, line, "bad metric name in '%s'", text);
	memcpy(s->name, p, len);
	s->line = line;
	p += len;
	if (*p == '{' && !p_labels(d, line, &p, s))
		return false;
	if (*p != ' ')
		return p_fail(d, line, "expected ' value' in '%s'", text);
	value = p + 1;
	ts = strchr(value, ' ');
	if (ts)
		*ts++ = '\0';
	if (!p_float(value, &s->value))
		return p_fail(d, line, "value '%s' is not a float", value);
	if (ts && strspn(ts, "-0123456789") != strlen(ts))
		return p_fail(d, line, "bad timestamp '%s'", ts);
	f = p_family_of(d, s->name);
	if (f < 0 || !d->fam[f].type[0])
		return p_fail(d, line, "%s: no TYPE line before it", s->name);
	if (d->fam[f].closed)
		return p_fail(d, line, "%s: its family's lines are not together",
			      s->name);
	if (d->current >= 0 && d->current != f)
		d->fam[d->current].closed = true;
	d->current = f;
	d->fam[f].samples = true;
	s->family = f;
	d->ns++;
	return true;
}

static bool p_sample_has(const struct p_sample *s, const char *name,
			 const char *value)
{
	int i;

	for (i = 0; i < s->nlabels; i++)
		if (!strcmp(s->lname[i], name))
			return !value || !strcmp(s->lvalue[i], value);
	return false;
}

/* Same name and the same labels but le. */
static bool p_same_series(const struct p_sample *a, const struct p_sample *b)
{
	int i, na = 0;

	for (i = 0; i < a->nlabels; i++) {
		if (!strcmp(a->lname[i], "le"))
			continue;
		na++;
		if (!p_sample_has(b, a->lname[i], a->lvalue[i]))
			return false;
	}
	return na == b->nlabels - p_sample_has(b, "le", NULL);
}

static const struct p_sample *p_find(const struct p_doc *d, const char *name,
				     const struct p_sample *like)
{
	int i;

	for (i = 0; i < d->ns; i++)
		if (!strcmp(d->s[i].name, name) && p_same_series(like, &d->s[i]))
			return &d->s[i];
	return NULL;
}

/* The le label of @s as a number. */
static bool p_le(const struct p_sample *s, double *le)
{
	int i;

	for (i = 0; i < s->nlabels; i++)
		if (!strcmp(s->lname[i], "le"))
			return p_float(s->lvalue[i], le);
	return false;
}

/*
 * The histogram series whose first bucket is sample @b: le increasing up
 * to "+Inf", counts never decreasing, the +Inf count equal to _count, a
 * _sum. The index after its last bucket, or -1.
 */
static int p_histogram_series(struct p_doc *d, int b)
{
	const struct p_sample *first = &d->s[b], *sum, *count;
	double le, last_le = -INFINITY, last = 0;
	char base[P_NAME], name[P_NAME + 8];
	int i;

	snprintf(base, sizeof(base), "%.*s",
		 (int)(strlen(first->name) - strlen("_bucket")), first->name);
	for (i = b; i < d->ns && !strcmp(d->s[i].name, first->name) &&
	     p_same_series(first, &d->s[i]); i++) {
		if (!p_le(&d->s[i], &le) || le <= last_le ||
		    d->s[i].value < last) {
			p_fail(d, d->s[i].line,
			       "le missing or not increasing, or the count decreases");
			return -1;
		}
		last_le = le;
		last = d->s[i].value;
	}
	snprintf(name, sizeof(name), "%s_count", base);
	count = p_find(d, name, first);
	snprintf(name, sizeof(name), "%s_sum", base);
	sum = p_find(d, name, first);
	if (!isinf(last_le) || !count || count->value != last || !sum) {
		p_fail(d, first->line,
		       "%s: no le=\"+Inf\" bucket, no _sum, or _count is not the +Inf bucket's %g",
		       base, last);
		return -1;
	}
	return i;
}

/* Rules over the whole text: counters in _total, every histogram sound. */
static bool p_check_families(struct p_doc *d)
{
	const char *n;
	int i, f;

	for (f = 0; f < d->nfam; f++) {
		n = d->fam[f].name;
		if (!strcmp(d->fam[f].type, "counter") &&
		    (strlen(n) < 6 || strcmp(n + strlen(n) - 6, "_total")))
			return p_fail(d, 0, "counter %s does not end in _total", n);
		if (!d->fam[f].help || !d->fam[f].type[0])
			return p_fail(d, 0, "%s lacks its HELP or TYPE", n);
	}
	for (i = 0; i < d->ns;) {
		n = d->s[i].name;
		if (strcmp(d->fam[d->s[i].family].type, "histogram") ||
		    strlen(n) < 7 || strcmp(n + strlen(n) - 7, "_bucket")) {
			i++;
			continue;
		}
		i = p_histogram_series(d, i);
		if (i < 0)
			return false;
	}
	return true;
}

/* Parse and check @text (modified): true when it obeys the format. */
static bool p_parse(struct p_doc *d, char *text)
{
	char *line = text, *nl;
	int n = 0;
	bool ok = true;

	memset(d, 0, sizeof(*d));
	d->current = -1;
	for (; ok && *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		n++;
		if (!*line)
			continue;
		ok = line[0] == '#' ? p_comment(d, n, line) :
				      p_sample_line(d, n, line);
	}
	return ok && p_check_families(d);
}

/* The value of sample @name{chan="@index"[,@label="@value"]}, or NAN. */
static double p_value(const struct p_doc *d, const char *name, int index,
		      const char *label, const char *value)
{
	struct p_sample like = { .nlabels = 1 };

	snprintf(like.lname[0], P_NAME, "chan");
	snprintf(like.lvalue[0], P_NAME, "%d", index);
	if (label) {
		snprintf(like.lname[1], P_NAME, "%s", label);
		snprintf(like.lvalue[1], P_NAME, "%s", value);
		like.nlabels = 2;
	}
	like.family = -1;
	return p_find(d, name, &like) ? p_find(d, name, &like)->value : NAN;
}

/* chan_wait_seconds_bucket{chan="@index",op="@op",le="@le"}, or NAN. */
static double p_bucket(const struct p_doc *d, int index, const char *op,
		       const char *le)
{
	char chan[16];
	int i;

	snprintf(chan, sizeof(chan), "%d", index);
	for (i = 0; i < d->ns; i++)
		if (!strcmp(d->s[i].name, "chan_wait_seconds_bucket") &&
		    p_sample_has(&d->s[i], "chan", chan) &&
		    p_sample_has(&d->s[i], "op", op) &&
		    p_sample_has(&d->s[i], "le", le))
			return d->s[i].value;
	return NAN;
}

static const char *p_type(const struct p_doc *d, const char *family)
{
	int f;

	for (f = 0; f < d->nfam; f++)
		if (!strcmp(d->fam[f].name, family))
			return d->fam[f].type;
	return "";
}

/* ==== the table ==== */

#define TABLE_COLS	12
#define TABLE_ROWS	256
#define CELL		32

static const char *const table_titles[TABLE_COLS] = {
	"CHAN", "CAP", "LEN", "FILL", "WAIT-S", "WAIT-R", "SEND/s", "RECV/s",
	"P50", "P99", "MAX", "BREAKER",
};

enum table_col { COL_CHAN, COL_CAP, COL_LEN, COL_FILL, COL_WAIT_S, COL_WAIT_R,
		 COL_SEND_RATE, COL_RECV_RATE, COL_P50, COL_P99, COL_MAX,
		 COL_BREAKER };

struct table_line {
	int ncells;
	char cell[TABLE_COLS][CELL];
	int start[TABLE_COLS], end[TABLE_COLS];	/* column offsets */
};

struct table {
	struct table_line header;
	struct table_line rows[TABLE_ROWS];
	int nrows;
};

/* Split @line (up to @len bytes) at runs of spaces; false if too many. */
static bool table_split(const char *line, size_t len, struct table_line *tl)
{
	size_t i = 0, w;

	memset(tl, 0, sizeof(*tl));
	while (i < len) {
		if (line[i] == ' ') {
			i++;
			continue;
		}
		if (tl->ncells == TABLE_COLS)
			return false;
		for (w = 0; i + w < len && line[i + w] != ' '; w++)
			;
		snprintf(tl->cell[tl->ncells], CELL, "%.*s", (int)w, line + i);
		tl->start[tl->ncells] = (int)i;
		tl->end[tl->ncells] = (int)(i + w);
		tl->ncells++;
		i += w;
	}
	return true;
}

/*
 * The table starting at *@pp: its header and rows up to a blank line or
 * the end; *@pp moves past it. False when the header is not chanstat's
 * or a row does not have a cell per column.
 */
static bool table_parse(const char **pp, struct table *t)
{
	const char *p = *pp, *nl;
	size_t len;
	int i;

	memset(t, 0, sizeof(*t));
	nl = strchrnul(p, '\n');
	if (!table_split(p, nl - p, &t->header) ||
	    t->header.ncells != TABLE_COLS)
		return false;
	for (i = 0; i < TABLE_COLS; i++)
		if (strcmp(t->header.cell[i], table_titles[i]))
			return false;
	for (p = *nl ? nl + 1 : nl; *p && *p != '\n'; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		len = nl - p;
		if (t->nrows == TABLE_ROWS ||
		    !table_split(p, len, &t->rows[t->nrows]) ||
		    t->rows[t->nrows].ncells != TABLE_COLS)
			return false;
		t->nrows++;
	}
	*pp = *p ? p + 1 : p;
	return true;
}

/* Each column's cells share their left edge or their right edge. */
static bool table_aligned(const struct table *t)
{
	bool left, right;
	int c, r;

	for (c = 0; c < TABLE_COLS; c++) {
		left = true;
		right = true;
		for (r = 0; r < t->nrows; r++) {
			left &= t->rows[r].start[c] == t->header.start[c];
			right &= t->rows[r].end[c] == t->header.end[c];
		}
		if (!left && !right) {
			t_diag("column %s is not aligned", table_titles[c]);
			return false;
		}
	}
	return true;
}

static const struct table_line *table_row(const struct table *t, int index)
{
	int r;

	for (r = 0; r < t->nrows; r++)
		if (atoi(t->rows[r].cell[COL_CHAN]) == index &&
		    isdigit((unsigned char)t->rows[r].cell[COL_CHAN][0]))
			return &t->rows[r];
	return NULL;
}

/* Tables in @out whose header is chanstat's. */
static int count_tables(const char *out)
{
	const char *p;
	int n = 0;

	for (p = out; (p = strstr(p, "CHAN ")); p++)
		if (p == out || p[-1] == '\n')
			n++;
	return n;
}

/* "<1us" 500, "512us", "1.05ms", "2s" in ns; "0" 0; anything else -1. */
static long long duration_ns(const char *s)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	if (!strcmp(s, "<1us"))
		return 500;
	if (s[0] == '>' && s[1] == '=')
		s += 2;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	if (!*end)
		return v == 0 ? 0 : -1;
	for (i = 0; i < T_ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit))
			return (long long)(v * units[i].ns);
	return -1;
}

/* What chanstat's table shows for @len messages of @capacity. */
static void expected_bar(char *buf, long long len, long long capacity)
{
	long long filled, i;

	if (!capacity) {
		snprintf(buf, CELL, "unbuf");
		return;
	}
	filled = (len * 10 + capacity - 1) / capacity;
	if (filled > 10)
		filled = 10;
	buf[0] = '[';
	for (i = 0; i < 10; i++)
		buf[1 + i] = i < filled ? '#' : '.';
	snprintf(buf + 11, CELL - 11, "]");
}

/* ==== the channels ==== */

struct fixture {
	int buffered;		/* capacity 8: 5 sent, 2 received */
	int unbuffered;		/* each side parked WAIT_MS once */
	int forced_open;	/* breaker/mode forced_open */
	int limited;		/* rate/rate RATE */
	int buffered_fd;	/* kept open: readers 1, writers 1 */
	bool have_stats;	/* the module has CHAN_IOC_GET_STATS */
};

/* The first bucket a wait of WAIT_MS falls in: [2^(b-1), 2^b) us. */
static int wait_ms_bucket(void)
{
	long long us = WAIT_MS * 1000LL;
	int b = 0;

	while (us) {
		us >>= 1;
		b++;
	}
	return b;
}

static void setup_buffered(struct fixture *fx)
{
	char msg[MSG];
	int i;

	fx->buffered = t_chan_new(8, MSG, 0);
	T_GE(fx->buffered, 0, "buffered channel (capacity 8) created");
	fx->buffered_fd = t_chan_open(fx->buffered, O_RDWR);
	T_GE(fx->buffered_fd, 0, "  ... and opened read-write");
	for (i = 0; i < 5; i++) {
		t_fill(msg, 10 + i, i);
		if (t_send(fx->buffered_fd, msg, 10 + i, 0))
			break;
	}
	T_EQ(i, 5, "  ... 5 messages sent");
	for (i = 0; i < 2; i++)
		if (t_recv(fx->buffered_fd, msg, sizeof(msg), 0) < 0)
			break;
	T_EQ(i, 2, "  ... 2 received: len 3");
}

/* A receiver, then a sender, each parked WAIT_MS in a child. */
static void setup_unbuffered(struct fixture *fx)
{
	struct t_op *rx, *tx;
	char msg[MSG] = "hello";
	int wfd, rfd;
	pid_t pid;

	fx->unbuffered = t_chan_new(0, MSG, 0);
	T_GE(fx->unbuffered, 0, "unbuffered channel created");
	wfd = t_chan_open(fx->unbuffered, O_WRONLY);
	rfd = t_chan_open(fx->unbuffered, O_RDONLY);
	rx = t_op_new(T_OP_RECV, fx->unbuffered, O_RDONLY, MSG);
	pid = T_OP_PARK(rx, "waiting_receivers", 1);
	t_sleep_ms(WAIT_MS);
	T_EQ(t_send(wfd, msg, 20, T_TIMEOUT_NS), 0,
	     "  ... a send meets the receiver parked for %d ms", WAIT_MS);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... which got it");
	tx = t_op_new(T_OP_SEND, fx->unbuffered, O_WRONLY, 30);
	pid = T_OP_PARK(tx, "waiting_senders", 1);
	t_sleep_ms(WAIT_MS);
	T_EQ(t_recv(rfd, msg, sizeof(msg), T_TIMEOUT_NS), 30,
	     "  ... a receive meets the sender parked for %d ms", WAIT_MS);
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... whose send returned");
	close(wfd);
	close(rfd);
}

static void setup_guarded(struct fixture *fx)
{
	fx->forced_open = t_chan_new(4, MSG, 0);
	T_GE(fx->forced_open, 0, "channel for the breaker created");
	T_EQ(t_attr_write(fx->forced_open, "breaker/mode", "forced_open"), 0,
	     "  ... its breaker forced open");
	fx->limited = t_chan_new(RATE_MSGS + 16, 16, 0);
	T_GE(fx->limited, 0, "channel for the rate limiter created");
	T_EQ(t_attr_write(fx->limited, "rate/rate", idx_arg(RATE)), 0,
	     "  ... limited to %d messages/s", RATE);
}

static bool probe_get_stats(int index)
{
	struct chan_stats st;
	int fd = t_chan_open(index, O_RDONLY), r;

	if (fd < 0)
		return false;
	r = SYS(ioctl(fd, CHAN_IOC_GET_STATS, &st));
	close(fd);
	if (r)
		t_diag("CHAN_IOC_GET_STATS: %s: the histogram checks will SKIP",
		       strerrorname_np(-r) ?: "?");
	return r == 0;
}

/* ==== the checks ==== */

static int send_rated(void *arg)
{
	int index = *(int *)arg, fd, i;
	char msg[16] = "rated";

	fd = t_chan_open(index, O_WRONLY);
	if (fd < 0)
		return 2;
	for (i = 0; i < RATE_MSGS; i++)
		if (t_send(fd, msg, sizeof(msg), T_TIMEOUT_NS))
			return 3;
	return 0;
}

static bool wait_sent(int index, long long at_least)
{
	int i;

	for (i = 0; i < T_TIMEOUT_MS / 10; i++) {
		if (t_attr(index, "stats/sent") >= at_least)
			return true;
		t_sleep_ms(10);
	}
	return false;
}

static void check_row(const struct table *t, const struct fixture *fx,
		      int index, const char *what)
{
	const struct table_line *row = table_row(t, index);
	char bar[CELL], max[CELL];
	long long cap = t_attr(index, "capacity"), len = t_attr(index, "len");
	long long max_ns = t_attr(index, "stats/send_wait_max_ns"), shown;

	if (!T_OK(row, "the table has a row for the %s channel %d", what, index))
		return;
	expected_bar(bar, len, cap);
	T_EQ(atoll(row->cell[COL_CAP]), cap, "  ... CAP is its capacity");
	T_EQ(atoll(row->cell[COL_LEN]), len, "  ... LEN is its len");
	T_OK(!strcmp(row->cell[COL_FILL], bar), "  ... FILL is %s (%s)", bar,
	     row->cell[COL_FILL]);
	T_OK(!strcmp(row->cell[COL_WAIT_S], "0") &&
	     !strcmp(row->cell[COL_WAIT_R], "0"),
	     "  ... nobody waits (WAIT-S %s, WAIT-R %s)",
	     row->cell[COL_WAIT_S], row->cell[COL_WAIT_R]);
	shown = duration_ns(row->cell[COL_MAX]);
	snprintf(max, sizeof(max), "%s", row->cell[COL_MAX]);
	T_OK(shown >= 0 && llabs(shown - max_ns) <= max_ns / 100 + 500,
	     "  ... MAX %s is stats/send_wait_max_ns %lld", max, max_ns);
	if (!fx->have_stats)
		T_OK(!strcmp(row->cell[COL_P50], "-"), "  ... P50 is -");
}

static void check_table(struct fixture *fx)
{
	const char *p;
	const struct table_line *row;
	struct table *t = malloc(sizeof(*t));
	struct run r;
	double rate;
	pid_t pid;

	pid = t_fork(send_rated, &fx->limited);
	T_OK(wait_sent(fx->limited, 3), "a sender is held at %d messages/s",
	     RATE);
	chanstat(&r, 0, "-i", "1000", NULL);
	T_EQ(r.exit_code, 0, "chanstat -i 1000 exits 0");
	/* The table as a reader sees it, in the log. */
	for (p = r.out; p && *p;) {
		const char *eol = strchr(p, '\n');
		int len = eol ? (int)(eol - p) : (int)strlen(p);

		t_diag("  %.*s", len, p);
		p += len + !!eol;
	}
	p = r.out;
	if (!T_OK(table_parse(&p, t), "  ... its first line is the header, every row has %d cells",
		  TABLE_COLS)) {
		t_diag("output: %.300s", r.out);
		goto out;
	}
	T_OK(!*p, "  ... and it prints one table");
	T_OK(table_aligned(t), "  ... columns are aligned");
	check_row(t, fx, fx->buffered, "buffered");
	check_row(t, fx, fx->unbuffered, "unbuffered");
	row = table_row(t, fx->buffered);
	if (row && fx->have_stats)
		T_OK(!strcmp(row->cell[COL_P50], "<1us") &&
		     !strcmp(row->cell[COL_P99], "<1us"),
		     "  ... buffered: P50 and P99 <1us: no send waited (%s, %s)",
		     row->cell[COL_P50], row->cell[COL_P99]);
	if (row)
		T_OK(!strcmp(row->cell[COL_BREAKER], "off"),
		     "  ... buffered: BREAKER off (%s)", row->cell[COL_BREAKER]);
	row = table_row(t, fx->unbuffered);
	if (row && fx->have_stats) {
		T_OK(!strcmp(row->cell[COL_P50], "<1us"),
		     "  ... unbuffered: P50 <1us, one of two sends waited (%s)",
		     row->cell[COL_P50]);
		T_GE(duration_ns(row->cell[COL_P99]), WAIT_MS * T_NSEC_PER_MSEC,
		     "  ... unbuffered: P99 %s is at least %d ms",
		     row->cell[COL_P99], WAIT_MS);
	} else if (row) {
		t_skip("unbuffered: P50 and P99 from CHAN_IOC_GET_STATS (missing)");
	}
	row = table_row(t, fx->forced_open);
	T_OK(row && !strcmp(row->cell[COL_BREAKER], "open"),
	     "  ... the forced-open channel's BREAKER is open");
	row = table_row(t, fx->limited);
	rate = row ? atof(row->cell[COL_SEND_RATE]) : -1;
	T_OK(rate >= RATE / 3.0 && rate <= RATE * 1.5,
	     "  ... the limited channel's SEND/s %s is near %d",
	     row ? row->cell[COL_SEND_RATE] : "(no row)", RATE);
	T_OK(row && !strcmp(row->cell[COL_RECV_RATE], "0"),
	     "  ... and its RECV/s 0");
out:
	T_CHILD(pid, T_TIMEOUT_MS, 0, "the rate-limited sender sent %d messages",
		RATE_MSGS);
	run_free(&r);
	free(t);
}

static const char *const gauge_files[] = {
	"capacity", "msg_size", "len", "closed", "waiting_senders",
	"waiting_receivers", "readers", "writers", "oldest_wait_ms",
};

static const char *const counter_files[] = {
	"sent", "received", "bytes_sent", "bytes_received", "full", "empty",
	"send_timeouts", "recv_timeouts", "interrupted", "send_wait_ns",
	"recv_wait_ns", "send_wait_max_ns", "recv_wait_max_ns",
	"breaker_rejected", "rate_limited", "admission_rejected",
	"chaos_injected",
};

/* The first line of sysfs chan<index>/<attr>. */
static const char *attr_word(int index, const char *attr, char *buf,
			     size_t size)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), T_SYSFS_CLASS "/chan%d/%s", index, attr);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* The object of channel @index in the document's "channels", or -1. */
static int json_chan(const struct j_doc *d, int index)
{
	int chans = j_get(d, 0, "channels"), i, c;

	for (i = 0; (c = j_at(d, chans, i)) >= 0; i++)
		if (j_num(d, j_get(d, c, "index")) == index)
			return c;
	return -1;
}

/* Mismatches of @obj's numbers against sysfs files @prefix<name>. */
static int json_mismatches(const struct j_doc *d, int obj, int index,
			   const char *prefix, const char *const *names, int n)
{
	char attr[64];
	long long want, got;
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		snprintf(attr, sizeof(attr), "%s%s", prefix, names[i]);
		want = t_attr(index, attr);
		got = j_num(d, j_get(d, obj, names[i]));
		if (got != want) {
			t_diag("chan%d %s: JSON %lld, sysfs %lld", index, attr,
			       got, want);
			bad++;
		}
	}
	return bad;
}

/* Sum of a histogram array of 32 numbers, or -1 when it is not one. */
static long long json_hist_sum(const struct j_doc *d, int arr)
{
	long long sum = 0, v;
	int i;

	if (arr < 0 || d->nodes[arr].type != J_ARRAY ||
	    d->nodes[arr].count != CHAN_HIST_BUCKETS)
		return -1;
	for (i = 0; i < CHAN_HIST_BUCKETS; i++) {
		v = j_num(d, j_at(d, arr, i));
		if (v < 0)
			return -1;
		sum += v;
	}
	return sum;
}

/* The highest bucket of a histogram array holding anything, or -1. */
static int json_hist_top(const struct j_doc *d, int arr)
{
	int i, top = -1;

	for (i = 0; i < CHAN_HIST_BUCKETS; i++)
		if (j_num(d, j_at(d, arr, i)) > 0)
			top = i;
	return top;
}

static void check_json_hists(const struct j_doc *d, int obj, int index,
			     bool have_stats)
{
	int send = j_get(d, obj, "send_wait_hist");
	int recv = j_get(d, obj, "recv_wait_hist");

	if (!have_stats) {
		T_OK(j_is_null(d, send) && j_is_null(d, recv),
		     "  ... histograms null without CHAN_IOC_GET_STATS");
		t_skip("chan%d: histograms sum to sent and received (no CHAN_IOC_GET_STATS)",
		       index);
		return;
	}
	T_EQ(json_hist_sum(d, send), t_attr(index, "stats/sent"),
	     "  ... send_wait_hist has %d buckets summing to sent",
	     CHAN_HIST_BUCKETS);
	T_EQ(json_hist_sum(d, recv), t_attr(index, "stats/received"),
	     "  ... recv_wait_hist sums to received");
}

static void check_json_waits(const struct j_doc *d, int obj)
{
	static const char *const sides[] = { "send", "recv" };
	char key[32];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "%s_wait_hist", sides[i]);
		T_GE(json_hist_top(d, j_get(d, obj, key)), wait_ms_bucket(),
		     "  ... unbuffered: a %s waited %d ms: bucket >= %d",
		     sides[i], WAIT_MS, wait_ms_bucket());
		snprintf(key, sizeof(key), "%s_wait_p50_ns", sides[i]);
		T_EQ(j_num(d, j_get(d, obj, key)), 1000,
		     "  ... %s: the other did not wait, p50 is bucket 0's bound",
		     sides[i]);
		snprintf(key, sizeof(key), "%s_wait_p99_ns", sides[i]);
		T_GE(j_num(d, j_get(d, obj, key)), WAIT_MS * T_NSEC_PER_MSEC,
		     "  ... %s: p99 at least %d ms", sides[i], WAIT_MS);
	}
}

static void check_json_chan(const struct j_doc *d, const struct fixture *fx,
			    int index)
{
	int obj = json_chan(d, index), sub;
	char mode[32], state[32];

	if (!T_OK(obj >= 0, "JSON has an object for channel %d", index))
		return;
	T_EQ(json_mismatches(d, obj, index, "", gauge_files,
			     T_ARRAY_SIZE(gauge_files)), 0,
	     "  ... its %zu gauges are sysfs's (readers too: chanstat's own open is not counted)",
	     T_ARRAY_SIZE(gauge_files));
	T_EQ(json_mismatches(d, j_get(d, obj, "stats"), index, "stats/",
			     counter_files, T_ARRAY_SIZE(counter_files)), 0,
	     "  ... its \"stats\" are the %zu files of stats/",
	     T_ARRAY_SIZE(counter_files));
	sub = j_get(d, obj, "breaker");
	attr_word(index, "breaker/mode", mode, sizeof(mode));
	attr_word(index, "breaker/state", state, sizeof(state));
	T_OK(j_str_is(d, j_get(d, sub, "mode"), mode) &&
	     j_str_is(d, j_get(d, sub, "state"), state),
	     "  ... \"breaker\" has mode \"%s\" and state \"%s\"", mode, state);
	T_EQ(j_num(d, j_get(d, j_get(d, obj, "rate"), "rate")),
	     t_attr(index, "rate/rate"), "  ... \"rate\" has rate/rate");
	check_json_hists(d, obj, index, fx->have_stats);
}

static void check_json(struct fixture *fx)
{
	static struct j_doc d;
	int chans, i, c;
	long long prev = -1, idx;
	bool sorted = true;
	struct run r;

	chanstat(&r, 0, "--json", NULL);
	T_EQ(r.exit_code, 0, "chanstat --json exits 0");
	if (!T_OK(j_parse(&d, r.out), "  ... its output is one well-formed JSON value")) {
		t_diag("%s at byte %zu: ...%.40s", d.err, d.err_at,
		       r.out + (d.err_at > 20 ? d.err_at - 20 : 0));
		run_free(&r);
		return;
	}
	chans = j_get(&d, 0, "channels");
	T_OK(chans >= 0 && d.nodes[chans].type == J_ARRAY,
	     "  ... an object with a \"channels\" array");
	for (i = 0; (c = j_at(&d, chans, i)) >= 0; i++) {
		idx = j_num(&d, j_get(&d, c, "index"));
		sorted &= idx > prev;
		prev = idx;
	}
	T_OK(sorted, "  ... sorted by index, each channel once");
	check_json_chan(&d, fx, fx->buffered);
	check_json_chan(&d, fx, fx->unbuffered);
	check_json_chan(&d, fx, fx->forced_open);
	check_json_chan(&d, fx, fx->limited);
	if (fx->have_stats)
		check_json_waits(&d, json_chan(&d, fx->unbuffered));
	else
		t_skip("unbuffered: the waits of %d ms in the histograms (no CHAN_IOC_GET_STATS)",
		       WAIT_MS);
	run_free(&r);
}

/* The counters the format promises, each named after its stats/ file. */
static const char *const prom_counters[][2] = {
	{ "chan_sent_total", "sent" },
	{ "chan_received_total", "received" },
	{ "chan_bytes_sent_total", "bytes_sent" },
	{ "chan_bytes_received_total", "bytes_received" },
	{ "chan_full_total", "full" },
	{ "chan_empty_total", "empty" },
	{ "chan_send_timeouts_total", "send_timeouts" },
	{ "chan_recv_timeouts_total", "recv_timeouts" },
	{ "chan_interrupted_total", "interrupted" },
	{ "chan_breaker_rejected_total", "breaker_rejected" },
	{ "chan_rate_limited_total", "rate_limited" },
	{ "chan_admission_rejected_total", "admission_rejected" },
	{ "chan_chaos_injected_total", "chaos_injected" },
};

static const char *const prom_gauges[][2] = {
	{ "chan_capacity", "capacity" },
	{ "chan_len", "len" },
	{ "chan_waiting_senders", "waiting_senders" },
	{ "chan_waiting_receivers", "waiting_receivers" },
};

static int prom_mismatches(const struct p_doc *d, int index,
			   const char *const (*pairs)[2], int n,
			   const char *prefix)
{
	char attr[64];
	double got;
	long long want;
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		snprintf(attr, sizeof(attr), "%s%s", prefix, pairs[i][1]);
		want = t_attr(index, attr);
		got = p_value(d, pairs[i][0], index, NULL, NULL);
		if (got != (double)want) {
			t_diag("chan%d: %s is %g, sysfs %s %lld", index,
			       pairs[i][0], got, attr, want);
			bad++;
		}
	}
	return bad;
}

static void check_prom_chan(const struct p_doc *d, const struct fixture *fx,
			    int index)
{
	static const char *const states[] = { "closed", "open", "half_open" };
	char state[32];
	double v;
	int i, ones = 0, right = 0;

	T_EQ(prom_mismatches(d, index, prom_counters,
			     T_ARRAY_SIZE(prom_counters), "stats/"), 0,
	     "chan%d: the %zu counters are sysfs's", index,
	     T_ARRAY_SIZE(prom_counters));
	T_EQ(prom_mismatches(d, index, prom_gauges, T_ARRAY_SIZE(prom_gauges),
			     ""), 0, "  ... and the gauges");
	attr_word(index, "breaker/state", state, sizeof(state));
	for (i = 0; i < (int)T_ARRAY_SIZE(states); i++) {
		v = p_value(d, "chan_breaker_state", index, "state", states[i]);
		ones += v == 1;
		right += v == 1 && !strcmp(states[i], state);
	}
	T_OK(ones == 1 && right == 1,
	     "  ... chan_breaker_state is 1 for state=\"%s\" alone", state);
	if (!fx->have_stats) {
		T_OK(isnan(p_value(d, "chan_wait_seconds_count", index, "op", "send")),
		     "  ... no chan_wait_seconds without CHAN_IOC_GET_STATS");
		return;
	}
	T_EQ(p_value(d, "chan_wait_seconds_count", index, "op", "send"),
	     t_attr(index, "stats/sent"),
	     "  ... chan_wait_seconds_count{op=\"send\"} is sent");
	T_EQ(p_value(d, "chan_wait_seconds_count", index, "op", "recv"),
	     t_attr(index, "stats/received"),
	     "  ... chan_wait_seconds_count{op=\"recv\"} is received");
}

static void check_prom_families(const struct p_doc *d)
{
	int i, bad = 0;

	for (i = 0; i < (int)T_ARRAY_SIZE(prom_counters); i++)
		if (strcmp(p_type(d, prom_counters[i][0]), "counter")) {
			t_diag("%s: type '%s'", prom_counters[i][0],
			       p_type(d, prom_counters[i][0]));
			bad++;
		}
	T_EQ(bad, 0, "the %zu counters are there, TYPE counter",
	     T_ARRAY_SIZE(prom_counters));
	T_OK(!strcmp(p_type(d, "chan_oldest_wait_seconds"), "gauge") &&
	     !strcmp(p_type(d, "chan_capacity"), "gauge") &&
	     !strcmp(p_type(d, "chan_breaker_state"), "gauge"),
	     "chan_capacity, chan_oldest_wait_seconds, chan_breaker_state are gauges");
	T_OK(!strcmp(p_type(d, "chan_wait_seconds"), "histogram"),
	     "chan_wait_seconds is a histogram");
}

static void check_prometheus(struct fixture *fx)
{
	static struct p_doc d;
	double below, count, quick;
	struct run r;
	bool ok;

	chanstat(&r, 0, "--prometheus", NULL);
	T_EQ(r.exit_code, 0, "chanstat --prometheus exits 0");
	ok = p_parse(&d, r.out);
	if (!T_OK(ok, "  ... every line obeys the text format 0.0.4 (%d samples)",
		  d.ns))
		t_diag("%s", d.err);
	check_prom_families(&d);
	check_prom_chan(&d, fx, fx->buffered);
	check_prom_chan(&d, fx, fx->unbuffered);
	check_prom_chan(&d, fx, fx->forced_open);
	check_prom_chan(&d, fx, fx->limited);
	if (fx->have_stats) {
		count = p_value(&d, "chan_wait_seconds_count", fx->unbuffered,
				"op", "recv");
		quick = p_bucket(&d, fx->unbuffered, "recv", "1e-06");
		below = p_bucket(&d, fx->unbuffered, "recv", "0.131072");
		T_OK(quick >= 1 && below < count,
		     "unbuffered: of %g receives, %g waited under 1 us, %g under 131 ms",
		     count, quick, below);
	}
	run_free(&r);
}

static void check_watch(struct fixture *fx)
{
	const char *args[] = { "-w", "0.2", idx_arg(fx->forced_open), NULL };
	const char *pty_args[] = { "-w", "0.2", "-n", "1",
				   idx_arg(fx->forced_open), NULL };
	struct run r;
	char *blank;

	chanstat(&r, 0, "--watch", "1", "--count", "2", idx_arg(fx->buffered),
		 NULL);
	T_EQ(r.exit_code, 0, "chanstat --watch 1 --count 2 exits 0");
	T_EQ(count_tables(r.out), 2, "  ... after printing two tables");
	blank = strstr(r.out, "\n\n");
	T_OK(blank && !strstr(blank + 2, "\n\n") && !strchr(r.out, '\033'),
	     "  ... a blank line apart, no escape sequences (not a terminal)");
	T_OK(r.elapsed_ms >= 1900 && r.elapsed_ms < 10000,
	     "  ... in about 2 s (%llu ms)", (unsigned long long)r.elapsed_ms);
	run_free(&r);

	if (run_start(&r, 0, args))
		t_bail("cannot start chanstat: %m");
	poll(&(struct pollfd){ .fd = r.out_fd, .events = POLLIN }, 1,
	     T_TIMEOUT_MS);
	kill(r.pid, SIGINT);
	run_finish(&r);
	T_EQ(r.exit_code, 0, "SIGINT ends chanstat -w 0.2 with status 0");
	T_GE(count_tables(r.out), 1, "  ... after at least one table (%d)",
	     count_tables(r.out));
	run_free(&r);

	if (run_start(&r, RUN_PTY, pty_args)) {
		t_skip("on a terminal, chanstat redraws in place and in colour (no pty: %m)");
		return;
	}
	run_finish(&r);
	T_EQ(r.exit_code, 0, "on a terminal, chanstat -w 0.2 -n 1 exits 0");
	T_OK(strstr(r.out, "\033[H\033[2J"), "  ... it clears the screen");
	T_OK(strstr(r.out, "\033[31mopen"), "  ... and shows an open breaker in red");
	run_free(&r);
	chanstat(&r, RUN_PTY | RUN_NO_COLOR, "-w", "0.2", "-n", "1",
		 idx_arg(fx->forced_open), NULL);
	T_OK(r.exit_code == 0 && strstr(r.out, "\033[H\033[2J") &&
	     !strstr(r.out, "\033[31m"),
	     "with NO_COLOR=1 it still redraws in place, without colour");
	run_free(&r);
}

/* debugfs on /sys/kernel/debug, mounted if it is not. */
static void mount_debugfs(void)
{
	struct statfs fs;

	if (!statfs(DEBUGFS, &fs) && fs.f_type == DEBUGFS_MAGIC)
		return;
	if (mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
		t_diag("mount debugfs on %s: %m", DEBUGFS);
}

/* The row of --waiters' table for @pid: 0 and its OP and CHAN, or -1. */
static int waiters_row(const char *out, pid_t pid, char *op, int *chan)
{
	char comm[64], waited[32];
	const char *line;
	long p;

	for (line = out; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (sscanf(line, "%ld %63s %31s %31s %d", &p, comm, op, waited,
			   chan) == 5 && p == pid)
			return 0;
	}
	return -1;
}

/* --waiters' header: PID COMM OP WAITED CHAN. */
static bool waiters_header(const char *out)
{
	char t[5][16];

	return sscanf(out, "%15s %15s %15s %15s %15s", t[0], t[1], t[2], t[3],
		      t[4]) == 5 &&
	       !strcmp(t[0], "PID") && !strcmp(t[1], "COMM") &&
	       !strcmp(t[2], "OP") && !strcmp(t[3], "WAITED") &&
	       !strcmp(t[4], "CHAN");
}

static void check_waiters(struct fixture *fx)
{
	const struct table_line *row;
	struct t_op *rx;
	struct table *t = malloc(sizeof(*t));
	char path[128], op[32] = "";
	const char *p;
	struct run r;
	int fd, chan = -1;
	pid_t pid;

	mount_debugfs();
	rx = t_op_new(T_OP_RECV, fx->unbuffered, O_RDONLY, MSG);
	pid = T_OP_PARK(rx, "waiting_receivers", 1);
	chanstat(&r, 0, "-i", "0", idx_arg(fx->unbuffered), NULL);
	p = r.out;
	row = table_parse(&p, t) ? table_row(t, fx->unbuffered) : NULL;
	T_OK(r.exit_code == 0 && row && !strcmp(row->cell[COL_WAIT_R], "1"),
	     "chanstat -i 0 <chan> shows the parked receiver in WAIT-R");
	T_EQ(t->nrows, 1, "  ... in the only row");
	run_free(&r);

	snprintf(path, sizeof(path), DEBUGFS "/chan/chan%d/waiters",
		 fx->unbuffered);
	chanstat(&r, 0, "--waiters", NULL);
	if (access(path, R_OK)) {
		T_EQ(r.exit_code, 1, "no %s: chanstat --waiters exits 1", path);
		T_OK(r.err[0], "  ... and says why on stderr");
		t_skip("--waiters lists the parked receiver (no %s yet)", path);
	} else {
		T_EQ(r.exit_code, 0, "chanstat --waiters exits 0");
		T_OK(waiters_header(r.out),
		     "  ... its header is PID COMM OP WAITED CHAN");
		T_EQ(waiters_row(r.out, pid, op, &chan), 0,
		     "  ... and a row for the parked receiver, pid %d", pid);
		T_OK(!strcmp(op, "recv") && chan == fx->unbuffered,
		     "  ... op recv (%s) on chan %d (%d)", op, fx->unbuffered,
		     chan);
	}
	run_free(&r);
	fd = t_chan_open(fx->unbuffered, O_WRONLY);
	T_EQ(t_send(fd, "bye", 3, T_TIMEOUT_NS), 0, "the receiver gets a message");
	T_CHILD(pid, T_TIMEOUT_MS, 0, "  ... and returns");
	close(fd);
	free(t);
}

static void check_unprivileged(struct fixture *fx)
{
	static struct j_doc d;
	static struct p_doc pd;
	const struct table_line *row;
	struct table *t = malloc(sizeof(*t));
	const char *p;
	struct run r;
	int obj;

	chanstat(&r, RUN_UNPRIVILEGED, "-i", "0", idx_arg(fx->buffered), NULL);
	p = r.out;
	row = table_parse(&p, t) ? table_row(t, fx->buffered) : NULL;
	T_OK(r.exit_code == 0 && row && !strcmp(row->cell[COL_P50], "-") &&
	     !strcmp(row->cell[COL_P99], "-"),
	     "as nobody (the node is 0600): the table shows - for P50 and P99");
	run_free(&r);

	chanstat(&r, RUN_UNPRIVILEGED, "--json", idx_arg(fx->buffered), NULL);
	obj = j_parse(&d, r.out) ? json_chan(&d, fx->buffered) : -1;
	T_OK(r.exit_code == 0 && j_is_null(&d, j_get(&d, obj, "send_wait_hist")) &&
	     j_is_null(&d, j_get(&d, obj, "send_wait_p50_ns")),
	     "  ... --json: null histograms and percentiles");
	T_EQ(j_num(&d, j_get(&d, j_get(&d, obj, "stats"), "sent")),
	     t_attr(fx->buffered, "stats/sent"), "  ... but sysfs's counters");
	run_free(&r);

	chanstat(&r, RUN_UNPRIVILEGED, "--prometheus", idx_arg(fx->buffered),
		 NULL);
	T_OK(r.exit_code == 0 && p_parse(&pd, r.out) &&
	     isnan(p_value(&pd, "chan_wait_seconds_count", fx->buffered, "op",
			   "send")) &&
	     p_value(&pd, "chan_sent_total", fx->buffered, NULL, NULL) ==
	     t_attr(fx->buffered, "stats/sent"),
	     "  ... --prometheus: well-formed, no chan_wait_seconds, the counters");
	run_free(&r);

	chanstat(&r, RUN_UNPRIVILEGED, "--waiters", NULL);
	T_OK(r.exit_code == 1 && r.err[0],
	     "  ... --waiters: exit 1 and a reason (debugfs is for root)");
	run_free(&r);
	free(t);
}

static void check_usage(void)
{
	static const char *const bad[][3] = {
		{ "--bogus" }, { "--count", "2" }, { "-w", "0" },
		{ "--json", "--prometheus" }, { "1", "2" }, { "abc" },
		{ "-w", "1", "--json" },
	};
	struct run r;
	size_t i;
	int wrong = 0;

	chanstat(&r, 0, "--help", NULL);
	T_OK(r.exit_code == 0 && strstr(r.out, "--prometheus") &&
	     strstr(r.out, "Examples"), "--help exits 0 with the options and examples");
	run_free(&r);
	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		chanstat(&r, 0, bad[i][0], bad[i][1], bad[i][2], NULL);
		if (r.exit_code != 2 || !r.err[0] || r.out_len) {
			t_diag("chanstat %s %s: exit %d", bad[i][0],
			       bad[i][1] ?: "", r.exit_code);
			wrong++;
		}
		run_free(&r);
	}
	T_EQ(wrong, 0, "%zu kinds of bad usage exit 2 with a message on stderr",
	     T_ARRAY_SIZE(bad));
	chanstat(&r, 0, "1048575", NULL);
	T_OK(r.exit_code == 1 && strstr(r.err, "no channel"),
	     "a channel that does not exist: exit 1, \"no channel\" on stderr");
	run_free(&r);
}

int main(void)
{
	struct fixture fx = { 0 };

	t_init("chanstat");
	if (access(chanstat_bin(), X_OK))
		t_skip_all("%s is not here: %m", chanstat_bin());
	setup_buffered(&fx);
	setup_unbuffered(&fx);
	setup_guarded(&fx);
	if (t_failed())
		t_bail("could not set up the channels");
	fx.have_stats = probe_get_stats(fx.buffered);
	check_table(&fx);
	check_json(&fx);
	check_prometheus(&fx);
	check_watch(&fx);
	check_waiters(&fx);
	check_unprivileged(&fx);
	check_usage();
	close(fx.buffered_fd);
	T_EQ(t_chan_destroy(fx.buffered, 0), 0, "channels destroyed");
	t_chan_destroy(fx.unbuffered, 0);
	t_chan_destroy(fx.forced_open, 0);
	t_chan_destroy(fx.limited, 0);
	return t_done();
}
