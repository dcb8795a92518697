/* Forced into each Open POSIX Test Suite test (-include) so that the calls
 * under test go to their rshm twins; system headers are read first, so the
 * macros touch only the test's own code. */
#include <sys/mman.h>
#include <unistd.h>

#include <rshm.h>

#define shm_open rshm_shm_open
#define shm_unlink rshm_shm_unlink
#define mmap rshm_mmap
#define munmap rshm_munmap
#define ftruncate rshm_ftruncate
#define close rshm_close
