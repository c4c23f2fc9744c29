#include "reconcilers/sandboxes/mount_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ironward::sandboxes {
namespace {

using ::testing::HasSubstr;

MountPolicy Policy() { return MountPolicy(MountPolicyInputs{"/home/op", "/var/lib/ironward", {"/tmp/engine/docker.sock"}}); }

TEST(MountPolicyTest, RefusesTheDockerSocketAndItsParents) {
  const MountPolicy p = Policy();
  EXPECT_THAT(p.Check("/var/run/docker.sock"), HasSubstr("Docker socket"));
  EXPECT_THAT(p.Check("/run/docker.sock"), HasSubstr("Docker socket"));
  EXPECT_THAT(p.Check("/run"), HasSubstr("contains the Docker socket"));
  EXPECT_THAT(p.Check("/tmp/engine"), HasSubstr("Docker socket"));
  EXPECT_THAT(p.Check("/tmp/engine/"), HasSubstr("Docker socket"));
  EXPECT_THAT(p.Check("/"), HasSubstr("contains"));
}

TEST(MountPolicyTest, RefusesHomeButNotItsOrdinarySubdirectories) {
  const MountPolicy p = Policy();
  EXPECT_THAT(p.Check("/home/op"), HasSubstr("$HOME"));
  EXPECT_THAT(p.Check("/home"), HasSubstr("$HOME"));
  EXPECT_EQ(p.Check("/home/op/src/project"), "");
  EXPECT_EQ(p.Check("/home/opx"), "");  // a prefix is not a parent
}

TEST(MountPolicyTest, RefusesCredentialDirectoriesAndEverythingInside) {
  const MountPolicy p = Policy();
  EXPECT_THAT(p.Check("/home/op/.ssh"), HasSubstr("~/.ssh"));
  EXPECT_THAT(p.Check("/home/op/.ssh/id_ed25519"), HasSubstr("inside ~/.ssh"));
  EXPECT_THAT(p.Check("/home/op/.aws/credentials"), HasSubstr("~/.aws"));
  EXPECT_THAT(p.Check("/home/op/.config/gh/hosts.yml"), HasSubstr("~/.config"));
  EXPECT_THAT(p.Check("/home/op/./.ssh/../.ssh"), HasSubstr("~/.ssh"));
}

TEST(MountPolicyTest, RefusesTheStateDirectory) {
  const MountPolicy p = Policy();
  EXPECT_THAT(p.Check("/var/lib/ironward"), HasSubstr("state directory"));
  EXPECT_THAT(p.Check("/var/lib/ironward/ca.key"), HasSubstr("state directory"));
  EXPECT_THAT(p.Check("/var/lib"), HasSubstr("state directory"));
  EXPECT_EQ(p.Check("/var/lib/agent"), "");
}

TEST(MountPolicyTest, NamedVolumesAreNotHostPaths) {
  EXPECT_EQ(Policy().Check("agent-cache"), "");
  EXPECT_EQ(MountPolicy::HostPathOf("/a/b:/c:ro"), "/a/b");
}

}  // namespace
}  // namespace ironward::sandboxes
