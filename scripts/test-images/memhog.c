/*
 * memhog MB SECONDS: holds MB MiB of memory it has written to (so every page is resident),
 * for SECONDS, then exits 0. The usage tests run it in local/memhog:latest to check that a
 * job's sampled peak memory is what the job really held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: memhog MB SECONDS\n");
    return 2;
  }
  long mb = strtol(argv[1], NULL, 10);
  long seconds = strtol(argv[2], NULL, 10);
  if (mb <= 0 || seconds < 0) {
    fprintf(stderr, "memhog: MB must be positive and SECONDS not negative\n");
    return 2;
  }
  size_t bytes = (size_t)mb * 1024 * 1024;
  char *block = malloc(bytes);
  if (block == NULL) {
    perror("memhog: malloc");
    return 1;
  }
  memset(block, 1, bytes);
  printf("holding %ld MiB\n", mb);
  fflush(stdout);
  sleep((unsigned)seconds);
  /* Read it back so the compiler cannot drop the writes. */
  return block[bytes - 1] == 1 ? 0 : 1;
}
