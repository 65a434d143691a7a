// The static docker-init: lib/init/init.h's RunInit as a program of its own.
#include "lib/init/init.h"

int main(int argc, char** argv) {
  return mydocker::init::RunInit(argc - 1, argv + 1);
}
