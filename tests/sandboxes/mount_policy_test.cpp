#include "reconcilers/sandboxes/mount_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ironward::sandboxes {
namespace {

using ::testing::HasSubstr;

MountPolicy Policy() {
  return MountPolicy(MountPolicyInputs{"/home/op", "/var/lib/ironward", {"/tmp/engine/docker.sock"}, {}, {}});
}

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

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "git:x:120:120:git daemon:/home/git:/usr/bin/git-shell\n"
    "alice:x:1001:1001:Alice,,,:/home/alice/:/bin/bash\n"
    "# a comment line\n"
    "broken-line-without-fields\n"
    "bob:x:1002:1002::/srv/people/bob:/bin/zsh\n";

TEST(MountPolicyTest, PersonHomesAreRootHumanUidsAndHomesUnderHome) {
  const auto homes = PersonHomes(kPasswd);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"root", "/root"}, {"git", "/home/git"}, {"alice", "/home/alice"}, {"bob", "/srv/people/bob"}};
  EXPECT_EQ(homes, want) << "no /usr/sbin, /var/www, / or /nonexistent";
}

MountPolicy HostPolicy() {
  MountPolicyInputs in{"/home/op", "/var/lib/ironward", {}, PersonHomes(kPasswd), {"/etc/ironward", "/srv/keys/ironward.env"}};
  return MountPolicy(in);
}

TEST(MountPolicyTest, RefusesEveryPersonsHomeAndCredentialStores) {
  const MountPolicy p = HostPolicy();
  EXPECT_THAT(p.Check("/home/alice"), HasSubstr("it is the home of alice (/home/alice)"));
  EXPECT_THAT(p.Check("/srv/people"), HasSubstr("contains the home of bob"));
  EXPECT_THAT(p.Check("/root"), HasSubstr("the home of root"));
  EXPECT_THAT(p.Check("/home/alice/.ssh/id_ed25519"), HasSubstr("inside ~alice/.ssh"));
  EXPECT_THAT(p.Check("/root/.kube/config"), HasSubstr("~root/.kube"));
  EXPECT_THAT(p.Check("/srv/people/bob/.docker/config.json"), HasSubstr("~bob/.docker"));
  EXPECT_THAT(p.Check("/home/alice/.gnupg"), HasSubstr("~alice/.gnupg"));
  EXPECT_THAT(p.Check("/home/alice/.netrc"), HasSubstr("~alice/.netrc"));
  EXPECT_THAT(p.Check("/home/alice/.config/gcloud/credentials.db"), HasSubstr("~alice/.config"));
  EXPECT_THAT(p.Check("/home/op/.kube"), HasSubstr("~/.kube"));
  EXPECT_EQ(p.Check("/home/alice/projects/agent"), "") << "an ordinary directory in a home is fine";
  EXPECT_EQ(p.Check("/var/www/site"), "") << "a system account's 'home' is not a person's";
  EXPECT_EQ(p.Check("/usr/sbin"), "");
}

TEST(MountPolicyTest, RefusesEtcItsSecretsAndIronwardsConfiguration) {
  const MountPolicy p = HostPolicy();
  EXPECT_THAT(p.Check("/etc"), HasSubstr("it is /etc"));
  EXPECT_THAT(p.Check("/etc/shadow"), HasSubstr("/etc/shadow"));
  EXPECT_THAT(p.Check("/etc/ssh/ssh_host_ed25519_key"), HasSubstr("inside /etc/ssh"));
  EXPECT_THAT(p.Check("/etc/ironward/gateway.yaml"), HasSubstr("ironward's configuration (/etc/ironward)"));
  EXPECT_THAT(p.Check("/srv/keys/ironward.env"), HasSubstr("ironward's configuration (/srv/keys/ironward.env)"));
  EXPECT_THAT(p.Check("/srv/keys"), HasSubstr("contains ironward's configuration"));
  EXPECT_EQ(p.Check("/etc/localtime"), "") << "the usual read-only bits of /etc stay mountable";
  EXPECT_EQ(p.Check("/etc/ssl/certs"), "");
}

TEST(MountPolicyTest, NamedVolumesAreNotHostPaths) {
  EXPECT_EQ(Policy().Check("agent-cache"), "");
  EXPECT_EQ(MountPolicy::HostPathOf("/a/b:/c:ro"), "/a/b");
}

}  // namespace
}  // namespace ironward::sandboxes
