// SPDX-License-Identifier: GPL-2.0
/*
 * chanbench reports: the environment the numbers were taken in (kernel,
 * clocksource, CPUs, mitigations, chan module, tuning), then each scenario
 * as a table of transports with the chan/peer ratios, then the goals. Two
 * forms: a human table (default) and JSON (--json), which
 * scripts/bench-report.py turns into bench/results.md.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "chanbench.h"

#ifndef KCHAN_REV
#define KCHAN_REV "unknown"
#endif

#define VULN_DIR	"/sys/devices/system/cpu/vulnerabilities"
#define PARAM_DIR	"/sys/module/chan/parameters"

static const char *const status_names[] = {
	[M_NOT_RUN]	  = "not run",
	[M_OK]		  = "ok",
	[M_UNSUPPORTED]	  = "unsupported",
	[M_ERROR]	  = "error",
	[M_VERIFY_FAILED] = "verification failed",
};

static const char *const place_names[] = {
	[PLACE_ANY]   = "any",
	[PLACE_SAME]  = "cpu0",
	[PLACE_SPLIT] = "cpu0+cpu1",
};

static const char *const kind_names[] = {
	[WK_PINGPONG]	 = "pingpong",
	[WK_STREAM]	 = "stream",
	[WK_UNCONTENDED] = "uncontended",
	[WK_MUX]	 = "mux",
	[WK_REFUSE]	 = "refuse",
};

static const char *const wait_names[] = {
	[WAIT_PLAIN]	 = "plain",
	[WAIT_SELECT]	 = "select",
	[WAIT_EPOLL_ONE] = "epoll",
	[WAIT_EPOLL_ALL] = "epoll-all",
};

/* First line of @path, without its newline; "" when unreadable. */
static const char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return buf;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static const char *cpu_model(char *buf, size_t len)
{
	char line[256], *p;
	FILE *f = fopen("/proc/cpuinfo", "r");

	buf[0] = '\0';
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		p = strchr(line, ':');
		if (p) {
			p += 1 + (p[1] == ' ');
			p[strcspn(p, "\n")] = '\0';
			snprintf(buf, len, "%s", p);
		}
		break;
	}
	fclose(f);
	return buf;
}

static const char *ratio_note(const struct scenario *s)
{
	return s->ratio == RATIO_TIME ?
		"chan time per op / peer time per op: lower is better" :
		"chan msgs/s / peer msgs/s: higher is better";
}

/* ---- human ---- */

static const char *fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *fmt_ns(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2f s", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2f ms", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1f us", v / 1e3);
	else
		snprintf(buf, len, "%.0f ns", v);
	return buf;
}

static const struct ratio *ratio_of(const struct scenario *s, int idx)
{
	int i;

	for (i = 0; i < s->nratios; i++)
		if (s->ratios[i].peer == idx)
			return &s->ratios[i];
	return NULL;
}

static void human_scenario(const struct scenario *s)
{
	char a[32], b[32], c[32], d[32], e[32], f[32], g[80];
	const struct measurement *m;
	const struct ratio *r;
	int i;

	printf("\n%s: %s\n", s->name, s->title);
	printf("  ratio = %s", ratio_note(s));
	if (s->latency)
		printf("; p50/p99/p99.9 = %s", s->latency);
	printf("\n");
	printf("  %-30s %9s %19s %10s %10s %10s %10s %8s %5s  %s\n",
	       "transport", "ops/s", "(min..max)", "time/op", "p50", "p99",
	       "p99.9", "wake/op", "cap", "chan/peer median (min..max)");
	for (i = 0; i < s->ncases; i++) {
		m = &s->m[i];
		if (m->status != M_OK) {
			printf("  %-30s %s%s%s\n", m->bc.label,
			       status_names[m->status], m->err[0] ? ": " : "",
			       m->err);
			continue;
		}
		fmt_rate(a, sizeof(a), m->ops_per_s.min);
		fmt_rate(b, sizeof(b), m->ops_per_s.max);
		snprintf(g, sizeof(g), "(%s..%s)", a, b);
		printf("  %-30s %9s %19s %10s %10s %10s %10s %8.2f %5u",
		       m->bc.label, fmt_rate(c, sizeof(c), m->ops_per_s.median), g,
		       fmt_ns(d, sizeof(d), m->ns_per_op.median),
		       fmt_ns(e, sizeof(e), (double)m->p50),
		       fmt_ns(f, sizeof(f), (double)m->p99),
		       fmt_ns(a, sizeof(a), (double)m->p999),
		       m->wakeups.median, m->eff_capacity);
		r = ratio_of(s, i);
		if (r)
			printf("  %.2fx (%.2f..%.2f)", r->s.median, r->s.min, r->s.max);
		if (r && s->p50_ratio)
			printf("  p50 %.2fx (%.2f..%.2f)", r->p50.median,
			       r->p50.min, r->p50.max);
		printf("\n");
	}
}

void report_human(const struct bench_opts *o, struct scenario *sc, int nsc,
		  const struct goal *g, int ng)
{
	char clk[64];
	struct utsname u;
	int i;

	uname(&u);
	printf("chanbench %s on %s, clocksource %s, %ld CPUs; median of %d runs "
	       "(runs sized to about %u ms), min..max\n", KCHAN_REV, u.release,
	       read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			 clk, sizeof(clk)),
	       sysconf(_SC_NPROCESSORS_ONLN), o->runs, o->target_ms);
	printf("ops: messages, round trips or send+receive pairs (see each row's label);"
	       " wake/op: context switches of all processes per op; cap: capacity in messages"
	       " (seqpacket: measured fill)\n");
	for (i = 0; i < nsc; i++)
		if (sc[i].selected)
			human_scenario(&sc[i]);
	printf("\nGoals (ratio medians over the interleaved run pairs)\n");
	for (i = 0; i < ng; i++) {
		printf("  %-70s ", g[i].text);
		if (!strcmp(g[i].status, "met") || !strcmp(g[i].status, "missed"))
			printf("%6.2f%s (%.2f..%.2f)  %s%s\n", g[i].measured,
			       g[i].cmp == GOAL_WAKEUPS_MAX ? "" : "x",
			       g[i].lo, g[i].hi, g[i].status,
			       !strcmp(g[i].status, "met") && !g[i].every_run ?
			       " (not in every run)" : "");
		else
			printf("%s\n", g[i].status);
	}
}

/* ---- JSON ---- */

static void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_kv_str(const char *k, const char *v, bool comma)
{
	json_str(k);
	fputs(": ", stdout);
	json_str(v);
	if (comma)
		putchar(',');
}

static void json_summary(const char *k, const struct summary *s)
{
	json_str(k);
	printf(": {\"min\": %.6g, \"median\": %.6g, \"max\": %.6g}", s->min,
	       s->median, s->max);
}

/* "name": {"file": "first line", ...} for every file in @dir. */
static void json_dir(const char *k, const char *dir)
{
	char path[512], buf[256];
	struct dirent *de;
	bool first = true;
	DIR *d;

	json_str(k);
	fputs(": {", stdout);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		printf("%s", first ? "" : ", ");
		json_kv_str(de->d_name, read_line(path, buf, sizeof(buf)), false);
		first = false;
	}
	if (d)
		closedir(d);
	putchar('}');
}

static void json_env(void)
{
	const char *const *notes = bench_sys_notes();
	char buf[512], date[64];
	struct utsname u;
	time_t t = time(NULL);
	int i;

	uname(&u);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	printf("\"env\": {");
	json_kv_str("kernel", u.release, true);
	json_kv_str("kernel_version", u.version, true);
	json_kv_str("machine", u.machine, true);
	json_kv_str("clocksource",
		    read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
			      buf, sizeof(buf)), true);
	printf("\"cpus\": %ld,", sysconf(_SC_NPROCESSORS_ONLN));
	json_kv_str("cpu_model", cpu_model(buf, sizeof(buf)), true);
	json_kv_str("cmdline", read_line("/proc/cmdline", buf, sizeof(buf)), true);
	json_kv_str("guest_date", date, true);
	json_kv_str("chanbench_rev", KCHAN_REV, true);
	json_kv_str("chan_srcversion",
		    read_line("/sys/module/chan/srcversion", buf, sizeof(buf)), true);
	json_dir("chan_parameters", PARAM_DIR);
	putchar(',');
	json_dir("vulnerabilities", VULN_DIR);
	printf(", \"tuning\": [");
	for (i = 0; notes[i]; i++) {
		printf("%s", i ? ", " : "");
		json_str(notes[i]);
	}
	printf("]}");
}

static void json_measurement(const struct scenario *s, int idx)
{
	const struct measurement *m = &s->m[idx];
	const struct bench_case *bc = &m->bc;
	const struct ratio *r;
	int i;

	printf("{");
	json_kv_str("transport", transport_names[bc->tr], true);
	json_kv_str("label", bc->label, true);
	json_kv_str("unit", bc->unit, true);
	json_kv_str("kind", kind_names[bc->kind], true);
	json_kv_str("placement", place_names[bc->place], true);
	json_kv_str("wait", wait_names[bc->wait], true);
	if (bc->kind == WK_MUX)
		printf("\"links\": %u, ", bc->links);
	printf("\"capacity\": %u, \"effective_capacity\": %u, \"msg_size\": %zu, "
	       "\"producers\": %u, \"consumers\": %u, \"batch\": %u, ",
	       bc->capacity, m->eff_capacity, bc->msg_size, bc->producers,
	       bc->consumers, bc->batch);
	json_kv_str("status", status_names[m->status], true);
	json_kv_str("error", m->err[0] ? m->err : NULL, true);
	printf("\"count\": %llu, \"runs\": [", (unsigned long long)m->count);
	for (i = 0; i < m->nruns; i++)
		printf("%s{\"ops\": %llu, \"elapsed_ns\": %llu, \"csw\": %llu}",
		       i ? ", " : "", (unsigned long long)m->runs[i].ops,
		       (unsigned long long)m->runs[i].elapsed_ns,
		       (unsigned long long)m->runs[i].csw);
	printf("], \"run_p50_ns\": [");
	for (i = 0; i < m->nruns; i++)
		printf("%s%llu", i ? ", " : "",
		       (unsigned long long)m->runs[i].p50_ns);
	printf("]");
	if (m->status == M_OK) {
		printf(", ");
		json_summary("ops_per_s", &m->ops_per_s);
		printf(", ");
		json_summary("ns_per_op", &m->ns_per_op);
		printf(", ");
		json_summary("wakeups_per_op", &m->wakeups);
		printf(", \"latency_ns\": {\"p50\": %llu, \"p99\": %llu, "
		       "\"p99.9\": %llu, \"max\": %llu, \"samples\": %llu}",
		       (unsigned long long)m->p50, (unsigned long long)m->p99,
		       (unsigned long long)m->p999,
		       (unsigned long long)m->hist->max,
		       (unsigned long long)m->hist->total);
	}
	r = ratio_of(s, idx);
	if (r)
		printf(", \"chan_ratio\": {\"median\": %.4f, \"min\": %.4f, "
		       "\"max\": %.4f, \"pairs\": %d}", r->s.median, r->s.min,
		       r->s.max, r->s.n);
	if (r && s->p50_ratio)
		printf(", \"chan_p50_ratio\": {\"median\": %.4f, \"min\": %.4f, "
		       "\"max\": %.4f, \"pairs\": %d}", r->p50.median,
		       r->p50.min, r->p50.max, r->p50.n);
	printf("}");
}

void report_json(const struct bench_opts *o, struct scenario *sc, int nsc,
		 const struct goal *g, int ng, int exit_code)
{
	bool first = true;
	int i, j;

	printf("{\"tool\": \"chanbench\", \"format\": 1, ");
	json_env();
	printf(", \"config\": {\"runs\": %d, \"quick\": %s, \"target_ms\": %u, "
	       "\"timeout_s\": %u},\n", o->runs, o->quick ? "true" : "false",
	       o->target_ms, o->timeout_s);
	printf("\"channels\": {\"before\": %d, \"after\": %d},\n",
	       o->chans_before, o->chans_after);
	printf("\"scenarios\": [\n");
	for (i = 0; i < nsc; i++) {
		if (!sc[i].selected)
			continue;
		printf("%s{", first ? "" : ",\n");
		first = false;
		json_kv_str("name", sc[i].name, true);
		json_kv_str("title", sc[i].title, true);
		json_kv_str("ratio_kind", sc[i].ratio == RATIO_TIME ? "time" : "throughput", true);
		json_kv_str("ratio_note", ratio_note(&sc[i]), true);
		json_kv_str("latency", sc[i].latency, true);
		printf("\"results\": [\n");
		for (j = 0; j < sc[i].ncases; j++) {
			printf("%s", j ? ",\n" : "");
			json_measurement(&sc[i], j);
		}
		printf("]}");
	}
	printf("],\n\"goals\": [\n");
	for (i = 0; i < ng; i++) {
		printf("%s{", i ? ",\n" : "");
		json_kv_str("goal", g[i].text, true);
		json_kv_str("scenario", g[i].scenario, true);
		json_kv_str("peer", g[i].peer, true);
		json_kv_str("compare", g[i].cmp == GOAL_RATIO_MIN ? "ratio>=" :
			    g[i].cmp == GOAL_RATIO_MAX ? "ratio<=" : "wakeups<=", true);
		printf("\"target\": %.3g, ", g[i].target);
		json_kv_str("status", g[i].status, false);
		if (!strcmp(g[i].status, "met") || !strcmp(g[i].status, "missed"))
			printf(", \"measured\": %.4f, \"min\": %.4f, \"max\": %.4f, "
			       "\"every_run\": %s", g[i].measured, g[i].lo, g[i].hi,
			       g[i].every_run ? "true" : "false");
		printf("}");
	}
	printf("],\n\"exit\": %d}\n", exit_code);
}
