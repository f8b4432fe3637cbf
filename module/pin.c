// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned user buffers. An operation that parks on an unbuffered channel
 * pins the pages of its buffer first, so that the peer who meets it can
 * copy straight between its own user memory and those pages: one copy per
 * message, no kernel buffer, and the parked side can never fault or stall
 * the peer (its pages are resident and stay so). Pinning is FOLL_PIN
 * (pin_user_pages_fast), so a fork() meanwhile cannot leave the data in a
 * page the parent no longer maps.
 *
 * Buffers of up to CHAN_PIN_INLINE pages use the vector inside the waiter;
 * bigger ones borrow the spare vector of the open file, sized for the
 * channel's msg_size when the file was opened, so pinning never allocates.
 */

#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "chan.h"
#include "compat.h"

/* Extra pieces a spare vector allows for a buffer split over segments. */
#define CHAN_PIN_SLACK		16

/* Pages pinned per call of pin_user_pages_fast(). */
#define CHAN_PIN_BATCH		16

/**
 * chan_pin_needs_spare() - may a buffer outgrow a pin's inline vector?
 * @msg_size: the buffer's largest length.
 *
 * Return: true when a buffer of up to @msg_size bytes, at any alignment,
 * may span more pages than &chan_pin.inline_bv holds.
 */
bool chan_pin_needs_spare(u32 msg_size)
{
	return DIV_ROUND_UP(msg_size, PAGE_SIZE) + 1 > CHAN_PIN_INLINE;
}

/**
 * chan_pin_spare_init() - allocate an open file's spare page vector
 * @spare: the spare to set up.
 * @msg_size: the channel's largest message.
 *
 * No vector is allocated when the inline one is always enough.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int chan_pin_spare_init(struct chan_pin_spare *spare, u32 msg_size)
{
	u32 max = DIV_ROUND_UP(msg_size, PAGE_SIZE) + 1 + CHAN_PIN_SLACK;

	spare->bv = NULL;
	spare->max = 0;
	spare->busy = 0;
	init_waitqueue_head(&spare->wait);
	if (!chan_pin_needs_spare(msg_size))
		return 0;
	spare->bv = kvmalloc_array(max, sizeof(*spare->bv),
				   GFP_KERNEL_ACCOUNT | __GFP_NOWARN |
				   __GFP_RETRY_MAYFAIL);
	if (!spare->bv)
		return -ENOMEM;
	spare->max = max;
	return 0;
}

/**
 * chan_pin_spare_destroy() - free a spare page vector
 * @spare: a spare no operation borrows.
 */
void chan_pin_spare_destroy(struct chan_pin_spare *spare)
{
	kvfree(spare->bv);
	spare->bv = NULL;
	spare->max = 0;
}

static bool spare_take(struct chan_pin_spare *spare)
{
	return !test_and_set_bit_lock(0, &spare->busy);
}

/* Borrow @spare, waiting as @to allows for another operation to give it back. */
static int spare_get(struct chan_pin_spare *spare,
		     const struct chan_timeout *to)
{
	long ret;

	if (spare_take(spare))
		return 0;
	if (to->try)
		return -EAGAIN;
	if (to->timed) {
		ktime_t left = ktime_sub(to->expires, ktime_get());

		if (ktime_to_ns(left) <= 0)
			return -ETIMEDOUT;
		ret = wait_event_interruptible_hrtimeout(spare->wait,
							 spare_take(spare),
							 left);
		if (ret == -ETIME)
			return -ETIMEDOUT;
		return ret == -ERESTARTSYS ? -EINTR : ret;
	}
	return wait_event_interruptible_exclusive(spare->wait,
						  spare_take(spare));
}

static void spare_put(struct chan_pin_spare *spare)
{
	clear_bit_unlock(0, &spare->busy);
	/* Pairs with the barrier in prepare_to_wait_event(). */
	smp_mb__after_atomic();
	if (wq_has_sleeper(&spare->wait))
		wake_up(&spare->wait);
}

/* Pieces a buffer of @len bytes at @base spans. */
static size_t span_pages(unsigned long base, size_t len)
{
	return DIV_ROUND_UP(offset_in_page(base) + len, PAGE_SIZE);
}

/* Pieces needed for the first @len bytes of @iter; SIZE_MAX if unsupported. */
static size_t pieces_needed(const struct iov_iter *iter, size_t len)
{
	size_t n = 0, skip = iter->iov_offset, i;

	if (iter_is_ubuf(iter))
		return span_pages((unsigned long)iter->ubuf + skip, len);
	if (iter_is_iovec(iter)) {
		const struct iovec *iov = chan_iter_iov(iter);

		for (i = 0; len && i < iter->nr_segs; i++, skip = 0) {
			size_t seg = min(len, iov[i].iov_len - skip);

			if (seg)
				n += span_pages((unsigned long)iov[i].iov_base +
						skip, seg);
			len -= seg;
		}
		return n;
	}
	if (iov_iter_is_bvec(iter)) {
		for (i = 0; len && i < iter->nr_segs; i++, skip = 0) {
			const struct bio_vec *bv = &iter->bvec[i];
			size_t seg = min_t(size_t, len, bv->bv_len - skip);

			if (seg)
				n += span_pages(bv->bv_offset + skip, seg);
			len -= seg;
		}
		return n;
	}
	return SIZE_MAX;
}

/* Pin @len bytes of user memory at @base into @pin's vector. */
static int pin_user_range(struct chan_pin *pin, unsigned long base,
			  size_t len)
{
	struct page *pages[CHAN_PIN_BATCH];
	unsigned long addr = base & PAGE_MASK;
	size_t off = offset_in_page(base);
	unsigned int flags = pin->write ? FOLL_WRITE : 0;

	while (len) {
		int want = min_t(size_t, span_pages(addr + off, len),
				 CHAN_PIN_BATCH);
		int got = pin_user_pages_fast(addr, want, flags, pages);
		int i;

		if (got <= 0)
			return got ? got : -EFAULT;
		for (i = 0; i < got; i++) {
			size_t n = min_t(size_t, len, PAGE_SIZE - off);

			bvec_set_page(&pin->bv[pin->nr++], pages[i], n, off);
			pin->len += n;
			len -= n;
			off = 0;
		}
		if (got < want)
			return -EFAULT;
		addr += (unsigned long)got << PAGE_SHIFT;
	}
	return 0;
}

/* Reference the pages of a kernel page vector (io_uring's fixed buffers). */
static void pin_bvec_range(struct chan_pin *pin, const struct bio_vec *bv,
			   size_t skip, size_t len)
{
	struct page *page = bv->bv_page + ((bv->bv_offset + skip) >> PAGE_SHIFT);
	size_t off = offset_in_page(bv->bv_offset + skip);

	while (len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - off);

		bvec_set_page(&pin->bv[pin->nr++], page++, n, off);
		pin->len += n;
		len -= n;
		off = 0;
	}
}

static int pin_segments(struct chan_pin *pin, const struct iov_iter *iter,
			size_t len)
{
	size_t skip = iter->iov_offset, i;
	int ret;

	if (iter_is_ubuf(iter))
		return pin_user_range(pin, (unsigned long)iter->ubuf + skip,
				      len);
	for (i = 0; len && i < iter->nr_segs; i++, skip = 0) {
		size_t seg;

		if (iter_is_iovec(iter)) {
			const struct iovec *iov = &chan_iter_iov(iter)[i];

			seg = min(len, iov->iov_len - skip);
			ret = seg ? pin_user_range(pin, (unsigned long)
						   iov->iov_base + skip, seg) : 0;
			if (ret)
				return ret;
		} else {
			const struct bio_vec *bv = &iter->bvec[i];

			seg = min_t(size_t, len, bv->bv_len - skip);
			pin_bvec_range(pin, bv, skip, seg);
		}
		len -= seg;
	}
	return 0;
}

/**
 * chan_pin_iter() - pin the first @len bytes of an operation's buffer
 * @pin: filled in; on success released later with chan_pin_release(), on
 *	failure released already.
 * @iter: the buffer (user memory, or a kernel page vector); not advanced.
 * @len: bytes to pin.
 * @write: the peer will write the pages (a receive buffer).
 * @spare: the open file's spare vector for big buffers, or NULL.
 * @to: how long to wait if another operation borrows @spare.
 *
 * Context: process context, may sleep (faults the pages in).
 * Return: 0; -EFAULT for a bad buffer; -EINVAL for a buffer in too many
 * pieces or of an unsupported kind; -EAGAIN, -ETIMEDOUT, -EINTR or
 * -ERESTARTSYS while waiting for @spare.
 */
int chan_pin_iter(struct chan_pin *pin, const struct iov_iter *iter,
		  size_t len, bool write, struct chan_pin_spare *spare,
		  const struct chan_timeout *to)
{
	size_t need = pieces_needed(iter, len);
	int ret;

	pin->bv = pin->inline_bv;
	pin->nr = 0;
	pin->len = 0;
	pin->user = user_backed_iter(iter);
	pin->write = write;
	pin->spare = NULL;
	if (need > CHAN_PIN_INLINE) {
		if (!spare || need > spare->max)
			return -EINVAL;
		ret = spare_get(spare, to);
		if (ret)
			return ret;
		pin->spare = spare;
		pin->bv = spare->bv;
	}
	ret = pin_segments(pin, iter, len);
	if (!ret && pin->len != len)
		ret = -EFAULT;
	if (ret)
		chan_pin_release(pin);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_iter);

/**
 * chan_pin_release() - unpin what chan_pin_iter() pinned
 * @pin: a pin; nobody may copy to or from it any more.
 */
void chan_pin_release(struct chan_pin *pin)
{
	u32 i;

	if (pin->user) {
		for (i = 0; i < pin->nr; i++)
			unpin_user_pages_dirty_lock(&pin->bv[i].bv_page, 1,
						    pin->write);
	}
	pin->nr = 0;
	pin->len = 0;
	if (pin->spare) {
		spare_put(pin->spare);
		pin->spare = NULL;
	}
	pin->bv = pin->inline_bv;
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_release);

/**
 * chan_pin_copy_from_iter() - copy from an iterator into pinned pages
 * @pin: the destination.
 * @len: bytes to copy, at most @pin->len.
 * @from: the source, advanced by what was copied.
 *
 * With page faults disabled by the caller, a fault on @from makes the copy
 * short instead of sleeping.
 *
 * Return: bytes copied.
 */
size_t chan_pin_copy_from_iter(const struct chan_pin *pin, size_t len,
			       struct iov_iter *from)
{
	size_t done = 0;
	u32 i;

	for (i = 0; done < len && i < pin->nr; i++) {
		const struct bio_vec *bv = &pin->bv[i];
		size_t want = min_t(size_t, len - done, bv->bv_len);
		size_t n = copy_page_from_iter(bv->bv_page, bv->bv_offset,
					       want, from);

		done += n;
		if (n != want)
			break;
	}
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_copy_from_iter);

/**
 * chan_pin_copy_to_iter() - copy from pinned pages to an iterator
 * @pin: the source.
 * @len: bytes to copy, at most @pin->len.
 * @to: the destination, advanced by what was copied.
 *
 * With page faults disabled by the caller, a fault on @to makes the copy
 * short instead of sleeping.
 *
 * Return: bytes copied.
 */
size_t chan_pin_copy_to_iter(const struct chan_pin *pin, size_t len,
			     struct iov_iter *to)
{
	size_t done = 0;
	u32 i;

	for (i = 0; done < len && i < pin->nr; i++) {
		const struct bio_vec *bv = &pin->bv[i];
		size_t want = min_t(size_t, len - done, bv->bv_len);
		size_t n = copy_page_to_iter(bv->bv_page, bv->bv_offset, want,
					     to);

		done += n;
		if (n != want)
			break;
	}
	return done;
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_copy_to_iter);

/**
 * chan_pin_memcpy_from() - copy from pinned pages into kernel memory
 * @pin: the source.
 * @dst: the destination.
 * @len: bytes to copy, at most @pin->len.
 *
 * Cannot fault or sleep.
 */
void chan_pin_memcpy_from(const struct chan_pin *pin, void *dst, size_t len)
{
	u32 i;

	for (i = 0; len && i < pin->nr; i++) {
		const struct bio_vec *bv = &pin->bv[i];
		size_t n = min_t(size_t, len, bv->bv_len);

		memcpy_from_page((char *)dst, bv->bv_page, bv->bv_offset, n);
		dst += n;
		len -= n;
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_memcpy_from);

/**
 * chan_pin_memcpy_to() - copy kernel memory into pinned pages
 * @pin: the destination.
 * @src: the source.
 * @len: bytes to copy, at most @pin->len.
 *
 * Cannot fault or sleep.
 */
void chan_pin_memcpy_to(const struct chan_pin *pin, const void *src,
			size_t len)
{
	u32 i;

	for (i = 0; len && i < pin->nr; i++) {
		const struct bio_vec *bv = &pin->bv[i];
		size_t n = min_t(size_t, len, bv->bv_len);

		memcpy_to_page(bv->bv_page, bv->bv_offset, src, n);
		src += n;
		len -= n;
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_memcpy_to);

/**
 * chan_pin_copy() - copy between two sets of pinned pages
 * @dst: the destination.
 * @src: the source.
 * @len: bytes to copy, at most the length of either.
 *
 * Cannot fault or sleep.
 */
void chan_pin_copy(const struct chan_pin *dst, const struct chan_pin *src,
		   size_t len)
{
	u32 di = 0, si = 0;
	size_t doff = 0, soff = 0;

	while (len && di < dst->nr && si < src->nr) {
		const struct bio_vec *d = &dst->bv[di], *s = &src->bv[si];
		size_t n = min3(len, (size_t)d->bv_len - doff,
				(size_t)s->bv_len - soff);

		memcpy_page(d->bv_page, d->bv_offset + doff, s->bv_page,
			    s->bv_offset + soff, n);
		len -= n;
		doff += n;
		soff += n;
		if (doff == d->bv_len) {
			di++;
			doff = 0;
		}
		if (soff == s->bv_len) {
			si++;
			soff = 0;
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(chan_pin_copy);
