// SPDX-License-Identifier: GPL-2.0
/*
 * What a channel shows of itself beyond sysfs: the wait-time histograms
 * of the operations done, the tracepoints of trace.h, CHAN_IOC_GET_INFO
 * and CHAN_IOC_GET_STATS, the debugfs files chan/chan<N>/waiters and
 * hist, and the stall_warn_ms warning.
 *
 * Histograms: every operation that moved a message records, when it
 * returns, how long its task was parked for it (0 when it never was) in
 * a per-cpu histogram: no lock, one increment. Summed over the CPUs, the
 * send histogram counts every message sent and the receive one every
 * message received, so at rest each sums to its counter.
 *
 * Stall warnings: a task that parks sleeps until its timeout or, when
 * stall_warn_ms is set and it has not been warned about yet, until it has
 * waited that long; then it logs one rate-limited line naming itself and
 * the channel, and sleeps on. Nothing scans for stuck tasks.
 */

#include <linux/debugfs.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "chan.h"
#include "trace.h"

/**
 * chan_observe_init() - a channel's histograms
 * @ch: the channel, being set up.
 *
 * Return: 0, or -ENOMEM.
 */
int chan_observe_init(struct chan *ch)
{
	ch->hist = alloc_percpu_gfp(struct chan_hist,
				    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	return ch->hist ? 0 : -ENOMEM;
}

/**
 * chan_observe_destroy() - free what chan_observe_init() allocated
 * @ch: the channel, being freed.
 */
void chan_observe_destroy(struct chan *ch)
{
	free_percpu(ch->hist);
}

/**
 * chan_hist_bucket() - the histogram bucket of a wait
 * @ns: the wait, in nanoseconds.
 *
 * Return: 0 under 1 us; i for [2^(i-1), 2^i) us; CHAN_HIST_BUCKETS - 1
 * from 2^(CHAN_HIST_BUCKETS - 2) us on.
 */
u32 chan_hist_bucket(u64 ns)
{
	return min_t(u32, fls64(div_u64(ns, NSEC_PER_USEC)),
		     CHAN_HIST_BUCKETS - 1);
}
EXPORT_SYMBOL_IF_KUNIT(chan_hist_bucket);

/**
 * chan_op_done() - an operation moved its message
 * @ch: the channel.
 * @send: a send, else a receive.
 * @len: the message's length.
 * @since: when its task first parked for it, 0 if it never did.
 *
 * Context: any; takes no lock.
 */
void chan_op_done(struct chan *ch, bool send, u32 len, ktime_t since)
{
	u64 ns = since ? ktime_to_ns(ktime_sub(ktime_get(), since)) : 0;

	this_cpu_inc(ch->hist->b[send][chan_hist_bucket(ns)]);
	if (send)
		trace_chan_send(ch->index, len, ns);
	else
		trace_chan_recv(ch->index, len, ns);
}

/**
 * chan_ops_done_now() - messages of a batch moved without waiting
 * @ch: the channel.
 * @send: sends, else receives.
 * @kv: their vector entries (the lengths moved).
 * @n: how many.
 */
void chan_ops_done_now(struct chan *ch, bool send, const struct chan_iov *kv,
		       u32 n)
{
	u32 i;

	if (!n)
		return;
	this_cpu_add(ch->hist->b[send][0], n);
	for (i = 0; i < n; i++) {
		if (send)
			trace_chan_send(ch->index, kv[i].len, 0);
		else
			trace_chan_recv(ch->index, kv[i].len, 0);
	}
}

/**
 * chan_parked() - a task parks on the channel
 * @ch: the channel.
 * @w: its waiter.
 *
 * Context: chan->lock held.
 */
void chan_parked(struct chan *ch, const struct chan_waiter *w)
{
	trace_chan_block(ch->index, w->send ? CHAN_OP_SEND : CHAN_OP_RECV,
			 !!w->claim);
}

/**
 * chan_sleep() - sleep as a parked task does, warning once if it stalls
 * @ch: the channel named in the warning.
 * @to: the operation's timeout.
 * @since: when the operation first parked.
 * @warned: whether it was warned about; set when it is.
 * @what: what it waits to do ("send", "receive", "select"), for the
 *	warning.
 *
 * The caller set the task state, and handles wake-ups, signals and
 * spurious returns as for schedule_hrtimeout().
 *
 * Return: true when @to expired.
 */
bool chan_sleep(struct chan *ch, const struct chan_timeout *to, ktime_t since,
		bool *warned, const char *what)
{
	u32 stall = chan_stall_warn_ms();
	ktime_t wake = to->expires, at;
	bool timed = to->timed, stalls = false;

	if (stall && !*warned) {
		at = ktime_add_ms(since, stall);
		if (!timed || ktime_before(at, wake)) {
			wake = at;
			timed = true;
			stalls = true;
		}
	}
	if (schedule_hrtimeout_range_clock(timed ? &wake : NULL, 0,
					   HRTIMER_MODE_ABS, CLOCK_MONOTONIC))
		return false;
	if (!stalls)
		return true;
	*warned = true;
	pr_warn_ratelimited("chan%u: %s (pid %d) has waited %u ms to %s\n",
			    ch->index, current->comm, task_pid_nr(current),
			    stall, what);
	return to->timed && !ktime_before(ktime_get(), to->expires);
}

static void read_hist(struct chan *ch, u64 *send, u64 *recv)
{
	int cpu, i;

	memset(send, 0, CHAN_HIST_BUCKETS * sizeof(*send));
	memset(recv, 0, CHAN_HIST_BUCKETS * sizeof(*recv));
	for_each_possible_cpu(cpu) {
		const struct chan_hist *h = per_cpu_ptr(ch->hist, cpu);

		for (i = 0; i < CHAN_HIST_BUCKETS; i++) {
			send[i] += READ_ONCE(h->b[1][i]);
			recv[i] += READ_ONCE(h->b[0][i]);
		}
	}
}

static long ioc_info(struct chan *ch, unsigned int cmd, unsigned long arg)
{
	struct chan_breaker_snap snap;
	struct chan_info in = { 0 };

	chan_guard_status(ch, &snap);
	in.oldest_wait_ms = chan_oldest_wait_ms(ch);
	spin_lock(&ch->lock);
	in.index = ch->index;
	in.capacity = ch->ring.size;
	in.msg_size = ch->msg_size;
	in.flags = ch->flags;
	in.len = ch->ring.count;
	in.closed = ch->closed;
	in.waiting_senders = chan_count_claimable(ch, true);
	in.waiting_receivers = chan_count_claimable(ch, false);
	in.readers = ch->readers;
	in.writers = ch->writers;
	spin_unlock(&ch->lock);
	in.breaker_state = snap.state;
	return chan_arg_out(cmd, arg, &in, sizeof(in), CHAN_INFO_SIZE_VER0);
}

static noinline_for_stack long ioc_stats(struct chan *ch, unsigned int cmd,
					 unsigned long arg)
{
	struct chan_breaker_snap snap;
	struct chan_stats *st;
	u64 limited;
	long ret;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	chan_guard_status(ch, &snap);
	chan_guard_get_rate(ch, NULL, NULL, NULL, &limited);
	read_hist(ch, st->send_wait_hist, st->recv_wait_hist);
	st->received = chan_received(ch, &st->bytes_received);
	spin_lock(&ch->lock);
	st->sent = ch->stats.sent;
	st->bytes_sent = ch->stats.bytes_sent;
	st->full = ch->stats.full;
	st->empty = ch->stats.empty;
	st->send_timeouts = ch->stats.send_timeouts;
	st->recv_timeouts = ch->stats.recv_timeouts;
	st->interrupted = ch->stats.interrupted;
	st->admission_rejected = ch->stats.admission_rejected;
	st->send_wait_ns = ch->stats.send_wait_ns;
	st->recv_wait_ns = ch->stats.recv_wait_ns;
	st->send_wait_max_ns = ch->stats.send_wait_max_ns;
	st->recv_wait_max_ns = ch->stats.recv_wait_max_ns;
	spin_unlock(&ch->lock);
	st->breaker_rejected = snap.rejected;
	st->rate_limited = limited;
	ret = chan_arg_out(cmd, arg, st, sizeof(*st), CHAN_STATS_SIZE_VER0);
	kfree(st);
	return ret;
}

/**
 * chan_observe_ioctl() - CHAN_IOC_GET_INFO and CHAN_IOC_GET_STATS
 * @ch: the channel.
 * @cmd: the ioctl.
 * @arg: its argument.
 *
 * Return: as the uapi header says; -ENOTTY for another command.
 */
long chan_observe_ioctl(struct chan *ch, unsigned int cmd, unsigned long arg)
{
	switch (CHAN_IOC_NOSIZE(cmd)) {
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_INFO):
		return ioc_info(ch, cmd, arg);
	case CHAN_IOC_NOSIZE(CHAN_IOC_GET_STATS):
		return ioc_stats(ch, cmd, arg);
	default:
		return -ENOTTY;
	}
}

/* ---- debugfs: chan/chan<N>/waiters and hist ---- */

static struct dentry *chan_debugfs_root;

static const char *op_name(const struct chan_waiter *w)
{
	if (w->claim)
		return w->send ? "select-send" : "select-recv";
	return w->send ? "send" : "recv";
}

/* A task's name, made safe for a tab-separated line. */
static void comm_of(struct task_struct *task, char *comm)
{
	char *c;

	strscpy(comm, task->comm, TASK_COMM_LEN);
	for (c = comm; *c; c++)
		if (*c == '\t' || *c == '\n' || *c == '\\')
			*c = '?';
}

/*
 * One line per parked waiter: pid, comm (tabs, newlines and backslashes
 * shown as '?'), op, waited ms, tab-separated.
 */
static int waiters_show(struct seq_file *m, void *v)
{
	struct list_head *lists[2];
	struct chan *ch = m->private;
	char comm[TASK_COMM_LEN];
	ktime_t now = ktime_get();
	struct chan_waiter *w;
	int i;

	lists[0] = &ch->senders;
	lists[1] = &ch->receivers;
	spin_lock(&ch->lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		list_for_each_entry(w, lists[i], node) {
			if (!chan_waiter_claimable(w))
				continue;
			comm_of(w->task, comm);
			seq_printf(m, "%d\t%s\t%s\t%lld\n", task_pid_nr(w->task),
				   comm, op_name(w), ktime_ms_delta(now, w->since));
		}
	spin_unlock(&ch->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(waiters);

/* The histograms as text: a line per bucket up to the last non-empty. */
static int hist_show(struct seq_file *m, void *v)
{
	struct chan *ch = m->private;
	u64 send[CHAN_HIST_BUCKETS], recv[CHAN_HIST_BUCKETS];
	int i, last = 0;

	read_hist(ch, send, recv);
	for (i = 0; i < CHAN_HIST_BUCKETS; i++)
		if (send[i] || recv[i])
			last = i;
	seq_puts(m, "wait_us_below\tsend\trecv\n");
	for (i = 0; i <= last; i++) {
		if (i == CHAN_HIST_BUCKETS - 1)
			seq_puts(m, "inf");
		else
			seq_printf(m, "%llu", 1ULL << i);
		seq_printf(m, "\t%llu\t%llu\n", send[i], recv[i]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hist);

/**
 * chan_debugfs_init() - create debugfs chan/, if debugfs is there
 */
void chan_debugfs_init(void)
{
	chan_debugfs_root = debugfs_create_dir("chan", NULL);
}

/**
 * chan_debugfs_exit() - remove debugfs chan/
 */
void chan_debugfs_exit(void)
{
	debugfs_remove_recursive(chan_debugfs_root);
	chan_debugfs_root = NULL;
}

/**
 * chan_debugfs_add() - a channel's debugfs directory
 * @ch: the channel, just added.
 *
 * debugfs is optional: failures are ignored, as debugfs wants.
 */
void chan_debugfs_add(struct chan *ch)
{
	char name[16];

	snprintf(name, sizeof(name), "chan%u", ch->index);
	ch->debugfs = debugfs_create_dir(name, chan_debugfs_root);
	debugfs_create_file("waiters", 0400, ch->debugfs, ch, &waiters_fops);
	debugfs_create_file("hist", 0400, ch->debugfs, ch, &hist_fops);
}

/**
 * chan_debugfs_remove() - remove a channel's debugfs directory
 * @ch: the channel, being destroyed.
 *
 * Waits for readers of its files to finish: the channel outlives them.
 */
void chan_debugfs_remove(struct chan *ch)
{
	debugfs_remove_recursive(ch->debugfs);
	ch->debugfs = NULL;
}
