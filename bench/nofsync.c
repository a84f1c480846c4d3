/*
 * bench/nofsync.c: an LD_PRELOAD library that makes fsync and fdatasync
 * succeed without flushing anything, for bench/renewal's row that shows
 * what certkeeper's durable writes cost a renewal (the same renewal, its
 * files written but not made durable).  Never for use outside the bench:
 * a power cut could then lose what the store reported written.
 * Build: cc -O2 -shared -fPIC -o nofsync.so bench/nofsync.c
 */
int fsync(int fd);
int fdatasync(int fd);

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
