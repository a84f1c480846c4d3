/*
 * bench/nofsync.c: an LD_PRELOAD library that makes fsync and fdatasync
 * succeed without flushing anything, and sync_file_range without starting
 * any writeback, for bench/renewal's row that shows what certkeeper's
 * durable writes cost a renewal (the same renewal, its files written but
 * not made durable).  Never for use outside the bench: a power cut could
 * then lose what the store reported written.
 * Build: cc -O2 -shared -fPIC -o nofsync.so bench/nofsync.c
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <unistd.h>

int
fsync(int fd)
{
	(void)fd;
	return 0;
}

int
fdatasync(int fd)
{
	(void)fd;
	return 0;
}

int
sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
	(void)fd;
	(void)offset;
	(void)nbytes;
	(void)flags;
	return 0;
}
