#include "controller/cli.h"

int main(int argc, char** argv) { return ironward::RunCli(argc, argv); }
