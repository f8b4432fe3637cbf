/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chanbench: declarations shared by its files.
 *
 *   chanbench.c         options, the scenario table, scheduling of the
 *                       interleaved runs, ratios and goals
 *   bench_run.c         one run: the worker processes, their start
 *                       barrier, shared-memory results, the watchdog
 *   bench_transports.c  the transports (chan, pipes, mq, SEQPACKET,
 *                       eventfd) behind one send/recv interface, receiving
 *                       from whichever of several links is ready (select
 *                       or epoll), system tuning and clean-up of what was
 *                       created
 *   bench_stats.c       clock, log-linear latency histogram, medians
 *   bench_report.c      environment, human table and JSON output
 */
#ifndef KCHAN_CHANBENCH_H
#define KCHAN_CHANBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define NSEC_PER_SEC	1000000000ULL

#define MAX_RUNS	64	/* --runs */
#define MAX_WORKERS	5	/* processes of one run: 4 + 1 */
#define MAX_CASES	8	/* transports of one scenario */
#define MAX_LINKS	64	/* links of one run: CHAN_SELECT_MAX */
#define MAX_BATCH	64	/* messages per batch call */
#define VERIFY_MAX	65536	/* messages a verification run may track */
#define HIST_WINDOW	64	/* streaming: one latency sample per 64 messages */

/* ---- bench_stats.c ---- */

/*
 * Log-linear histogram of nanosecond values: exact below 2^HIST_SUB_BITS,
 * then 2^HIST_SUB_BITS buckets per power of two (under 0.8% error). Record
 * is a few shifts and one increment.
 */
#define HIST_SUB_BITS	7
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_GROUPS	36	/* up to 2^(35 + 7) ns, about 73 minutes */
#define HIST_BUCKETS	(HIST_GROUPS * HIST_SUB)

struct hist {
	uint64_t total;
	uint64_t max;
	uint32_t counts[HIST_BUCKETS];
};

uint64_t now_ns(void);
void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
/* Value at percentile @pct (0..100), the middle of its bucket; 0 if empty. */
uint64_t hist_percentile(const struct hist *h, double pct);

struct summary {
	double min, median, max;
	int n;
};

/* min/median/max of @n values (the array is sorted in place). */
void summarize(double *v, int n, struct summary *s);

/* ---- bench_transports.c ---- */

enum transport_id {
	TR_CHAN,
	TR_PIPE,
	TR_PIPE_DIRECT,
	TR_MQ,
	TR_SEQPACKET,
	TR_EVENTFD,
	TR_NR
};

extern const char *const transport_names[TR_NR];

/* The send side's guard of a chan link (breaker, rate limiter). */
enum guard_kind {
	GUARD_NONE,		/* both off, the default */
	GUARD_IDLE,		/* breaker AUTO, a rate limit it never reaches */
	GUARD_BREAKER,		/* breaker AUTO only */
	GUARD_RATE,		/* the rate limit only */
	GUARD_OPEN,		/* breaker FORCED_OPEN: every send ECONNREFUSED */
};

/*
 * One direction of message transport. Set up in the parent, inherited by
 * the worker processes through fork(); tx and rx are fds (or mqd_t).
 */
struct link {
	enum transport_id tr;
	unsigned int capacity;		/* what was asked for */
	unsigned int eff_capacity;	/* what the transport holds (0: unknown) */
	size_t msg_size;
	int tx;
	int rx;
	int chan_index;			/* TR_CHAN, else -1 */
};

/* Buffers for one batch call of up to MAX_BATCH messages. */
struct batch_buf {
	unsigned char *data;		/* MAX_BATCH * msg_size bytes */
	size_t msg_size;
	void *vec;			/* struct chan_iov[] or struct mmsghdr[] */
	void *iov;			/* struct iovec[] (mmsg) */
	size_t lens[MAX_BATCH];		/* receive: lengths received */
};

int bench_sys_init(char *err, size_t errlen);
void bench_sys_cleanup(void);
/* Tuning done by bench_sys_init, for the report (NULL-terminated). */
const char *const *bench_sys_notes(void);

int link_open(struct link *l, enum transport_id tr, unsigned int capacity,
	      size_t msg_size, char *err, size_t errlen);
void link_close_fds(struct link *l);
int link_destroy(struct link *l, char *err, size_t errlen);
/* Configure a chan link's breaker and rate limiter; 0 or -errno. */
int link_guard(const struct link *l, enum guard_kind g, char *err,
	       size_t errlen);
/* Make every send on @l fail at once: fill it, non-blocking; 0 or -errno. */
int link_refuse(struct link *l, char *err, size_t errlen);

/* 0 or -errno; a whole message. */
int link_send(const struct link *l, const void *buf, size_t len);
/* Length received or -errno; -EPIPE at an unexpected end of file. */
ssize_t link_recv(const struct link *l, void *buf, size_t len);

/* 0 when @l's transport has a batch call; -ENOTTY, -EOPNOTSUPP if not. */
int link_batch_probe(const struct link *l);
int batch_init(struct batch_buf *b, const struct link *l);
/* Messages data[first..n) of @b: count sent (>= 1) or -errno. */
int link_send_batch(const struct link *l, struct batch_buf *b,
		    unsigned int first, unsigned int n);
/* Up to @n messages into data[0..n): count received (>= 1) or -errno. */
int link_recv_batch(const struct link *l, struct batch_buf *b, unsigned int n);

/* How a receiver waits for one of several links, or how it sends/receives. */
enum wait_kind {
	WAIT_PLAIN,		/* read/write (one link) */
	WAIT_SELECT,		/* CHAN_IOC_SELECT: one case per link */
	WAIT_EPOLL_ONE,		/* epoll_wait for 1 event, read that link */
	WAIT_EPOLL_ALL,		/* epoll_wait for all, read each ready link once */
};

/* 0 when @l's transport has CHAN_IOC_SELECT; -ENOTTY, -EOPNOTSUPP if not. */
int link_select_probe(const struct link *l);
/* As link_send/link_recv, through a select with the one case. */
int link_select_send(const struct link *l, const void *buf, size_t len);
ssize_t link_select_recv(const struct link *l, void *buf, size_t len);

/* A receiver over several links: one message at a time from any ready one. */
struct mux {
	enum wait_kind wait;
	const struct link *links;
	unsigned int n;
	size_t msg_size;
	unsigned char *bufs;		/* n * msg_size: link i receives at i */
	void *cases;			/* struct chan_select_case[n] */
	int epfd;
	void *events;			/* struct epoll_event[n] */
	unsigned int ready[MAX_LINKS];	/* WAIT_EPOLL_ALL: links left to read */
	unsigned int nready, pos;
};

int mux_init(struct mux *m, const struct link *links, unsigned int n,
	     enum wait_kind wait, size_t msg_size);
/* One message into bufs + *idx * msg_size: its length, or -errno. */
ssize_t mux_recv(struct mux *m, unsigned int *idx);

/* Set up in bench_sys_init(): the control device fd, or -1. */
extern int chan_ctl_fd;

/* Channels in /sys/class/chan, or -1 when it cannot be read. */
int chan_count(void);

/* ---- bench_run.c ---- */

enum work_kind {
	WK_PINGPONG,		/* round trips over two links */
	WK_STREAM,		/* producers -> consumers over one link */
	WK_UNCONTENDED,		/* one process sends and receives */
	WK_MUX,			/* 1 producer round-robin over links -> 1 consumer taking from any */
	WK_REFUSE,		/* one process sends on a link that refuses every send */
};


enum placement {
	PLACE_ANY,		/* wherever the scheduler puts them */
	PLACE_SAME,		/* every worker on CPU 0 */
	PLACE_SPLIT,		/* worker i on CPU i % 2 */
};

/* One transport's part of a scenario. */
struct bench_case {
	enum transport_id tr;
	enum work_kind kind;
	unsigned int capacity;
	size_t msg_size;
	unsigned int producers;
	unsigned int consumers;
	unsigned int batch;	/* messages per call; 1: one per syscall */
	unsigned int links;	/* WK_MUX: links the consumer waits on */
	enum wait_kind wait;	/* WK_MUX, WK_PINGPONG: how they wait */
	enum placement place;
	enum guard_kind guard;	/* TR_CHAN */
	const char *label;	/* as reported, e.g. "pipe (round trip)" */
	const char *unit;	/* "msg", "round trip", "send+recv" */
};

struct run_result {
	uint64_t ops;		/* messages, round trips or send+recv pairs */
	uint64_t elapsed_ns;
	uint64_t csw;		/* context switches of all workers */
	uint64_t p50_ns;	/* median latency sample of this run */
	unsigned int eff_capacity;
};

enum run_status {
	RUN_OK = 0,
	RUN_ERROR = -1,
	RUN_VERIFY_FAILED = -2,
	RUN_UNSUPPORTED = -3,
};

int bench_run_init(unsigned int timeout_s, char *err, size_t errlen);
/*
 * Run @bc once with @count operations (rounded by the caller). @verify also
 * checks that every message arrived exactly once. Latency samples go into
 * @hist when it is not NULL.
 */
enum run_status bench_run(const struct bench_case *bc, uint64_t count,
			  bool verify, struct run_result *res,
			  struct hist *hist, char *err, size_t errlen);
/* Kill the workers of the run in progress (signal handler safe). */
void bench_run_kill(void);

/* ---- chanbench.c: results handed to the report ---- */

enum m_status {
	M_NOT_RUN,
	M_OK,
	M_UNSUPPORTED,
	M_ERROR,
	M_VERIFY_FAILED,
};

struct measurement {
	struct bench_case bc;
	enum m_status status;
	char err[320];
	uint64_t count;		/* operations per timed run */
	double warmup_rate;	/* operations per second in the warm-up */
	unsigned int eff_capacity;
	int nruns;
	struct run_result runs[MAX_RUNS];
	struct hist *hist;
	/* derived */
	struct summary ops_per_s;
	struct summary ns_per_op;
	struct summary wakeups;
	uint64_t p50, p99, p999;
};

enum ratio_kind {
	RATIO_THROUGHPUT,	/* chan ops/s / peer ops/s, higher is better */
	RATIO_TIME,		/* chan ns/op / peer ns/op, lower is better */
};

struct ratio {
	int peer;		/* index into scenario.m */
	struct summary s;	/* of the per-run-pair ratios */
	struct summary p50;	/* of the per-run-pair ratios of p50 latency */
};

struct scenario {
	const char *name;
	char title[256];
	const char *latency;	/* what the percentiles are of, or NULL */
	enum ratio_kind ratio;
	bool p50_ratio;		/* also report chan p50 / peer p50 */
	int ncases;
	struct measurement m[MAX_CASES];
	int nratios;
	struct ratio ratios[MAX_CASES];
	bool selected;
};

enum goal_cmp { GOAL_RATIO_MIN, GOAL_RATIO_MAX, GOAL_WAKEUPS_MAX };

struct goal {
	const char *text;
	const char *scenario;
	const char *peer;	/* case label or transport name; NULL for GOAL_WAKEUPS_MAX */
	enum goal_cmp cmp;
	double target;
	/* evaluated */
	const char *status;	/* met, missed, unsupported, error, not run */
	double measured;
	double lo, hi;		/* per-run range */
	bool every_run;		/* every run pair met it */
};

struct bench_opts {
	int runs;
	bool quick;
	bool json;
	unsigned int target_ms;
	unsigned int timeout_s;
	int chans_before;	/* chan_count() at start and end */
	int chans_after;
};

/* ---- bench_report.c ---- */

void report_human(const struct bench_opts *o, struct scenario *sc, int nsc,
		  const struct goal *g, int ng);
void report_json(const struct bench_opts *o, struct scenario *sc, int nsc,
		 const struct goal *g, int ng, int exit_code);

#endif /* KCHAN_CHANBENCH_H */
