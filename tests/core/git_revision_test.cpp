// GitRevisionOf: the commit recorded in the history as `revision`, read from .git directly (no
// git process). The repositories here are made by the real git, isolated from any user or system
// configuration.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "controller/command_support.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using ironward::testing::ReadFile;
using ironward::testing::TempDir;
using ironward::testing::WriteFile;

class GitRevisionTest : public ::testing::Test {
 protected:
  /// Runs `git -C dir ARGS`; returns its trimmed stdout, fails the test on a non-zero exit.
  std::string Git(const std::filesystem::path& dir, const std::string& args) {
    const auto out = scratch_.path() / "git.out";
    const std::string cmd = "env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE GIT_CONFIG_NOSYSTEM=1 "
                            "GIT_CONFIG_GLOBAL=/dev/null HOME='" + scratch_.path().string() +
                            "' git -c user.name=ironward-test -c user.email=test@ironward.invalid "
                            "-c init.defaultBranch=main -c commit.gpgsign=false -C '" + dir.string() + "' " + args +
                            " >'" + out.string() + "' 2>&1";
    const int status = std::system(cmd.c_str());
    std::string text = ReadFile(out);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "git " << args << ":\n" << text;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  /// A fresh repository at `dir` with gateway.yaml committed; returns that commit's id.
  std::string InitWithCommit(const std::filesystem::path& dir, const std::string& init_args = "") {
    std::filesystem::create_directories(dir);
    Git(dir, "init -q " + init_args);
    WriteFile(dir / "gateway.yaml", "metadata: {name: one}\n");
    Git(dir, "add gateway.yaml");
    Git(dir, "commit -q -m one");
    return Git(dir, "rev-parse HEAD");
  }

  std::string Commit(const std::filesystem::path& dir, const std::string& content) {
    WriteFile(dir / "gateway.yaml", content);
    Git(dir, "commit -q -am next");
    return Git(dir, "rev-parse HEAD");
  }

  TempDir tmp_;      ///< the repositories
  TempDir scratch_;  ///< git's HOME and output, outside every repository here
};

TEST_F(GitRevisionTest, FileInARepositoryGivesTheFullCommitIdHeadPointsTo) {
  const auto repo = tmp_.path() / "repo";
  const std::string first = InitWithCommit(repo);
  ASSERT_EQ(first.size(), 40U) << first;
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), first);

  // A file deeper in the tree belongs to the same repository.
  std::filesystem::create_directories(repo / "hosts" / "eu");
  WriteFile(repo / "hosts" / "eu" / "gateway.yaml", "metadata: {name: eu}\n");
  Git(repo, "add hosts");
  Git(repo, "commit -q -m eu");
  const std::string second = Git(repo, "rev-parse HEAD");
  ASSERT_NE(second, first);
  EXPECT_EQ(GitRevisionOf((repo / "hosts" / "eu" / "gateway.yaml").string()), second);
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), second) << "the repository's HEAD, not the file's last commit";
}

// Overlays: the revision of a base and its host files covers every file, in order.
TEST_F(GitRevisionTest, SeveralFilesGiveTheirRepositoriesRevisionsInOrder) {
  const auto fleet = tmp_.path() / "fleet";
  const std::string fleet_head = InitWithCommit(fleet);
  std::filesystem::create_directories(fleet / "hosts");
  WriteFile(fleet / "hosts" / "web1.yaml", "metadata: {name: web1}\n");
  Git(fleet, "add hosts");
  Git(fleet, "commit -q -m web1");
  const std::string with_host = Git(fleet, "rev-parse HEAD");
  ASSERT_NE(with_host, fleet_head);
  const std::string base = (fleet / "gateway.yaml").string();
  const std::string host = (fleet / "hosts" / "web1.yaml").string();
  EXPECT_EQ(GitRevisionOf(std::vector<std::string>{base, host}), with_host) << "one repository: one id";

  const auto local = tmp_.path() / "local";
  const std::string local_head = InitWithCommit(local);
  const std::string local_file = (local / "gateway.yaml").string();
  EXPECT_EQ(GitRevisionOf(std::vector<std::string>{base, local_file}), with_host + "+" + local_head);
  EXPECT_EQ(GitRevisionOf(std::vector<std::string>{local_file, base}), local_head + "+" + with_host);
  // A file outside any repository (here, none of the temp dir's parents) adds nothing.
  WriteFile(tmp_.path() / "loose.yaml", "metadata: {name: loose}\n");
  EXPECT_EQ(GitRevisionOf(std::vector<std::string>{(tmp_.path() / "loose.yaml").string(), base}), with_host);
}

TEST_F(GitRevisionTest, FileOutsideAnyRepositoryGivesNothing) {
  WriteFile(tmp_.path() / "gateway.yaml", "metadata: {name: one}\n");
  ASSERT_NE(std::system(("git -C '" + tmp_.path().string() + "' rev-parse --git-dir >/dev/null 2>&1").c_str()), 0)
      << tmp_.path() << " is inside a git repository; this test needs a temp dir outside one";
  EXPECT_EQ(GitRevisionOf((tmp_.path() / "gateway.yaml").string()), "");
  EXPECT_EQ(GitRevisionOf((tmp_.path() / "missing" / "gateway.yaml").string()), "");
}

TEST_F(GitRevisionTest, RepositoryWithoutCommitsGivesNothing) {
  const auto repo = tmp_.path() / "repo";
  std::filesystem::create_directories(repo);
  Git(repo, "init -q");
  WriteFile(repo / "gateway.yaml", "metadata: {name: one}\n");
  Git(repo, "add gateway.yaml");
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), "");
}

TEST_F(GitRevisionTest, UncommittedOrUntrackedFileGivesTheHeadCommit) {
  // Documented as "the commit HEAD points to": local edits are not marked.
  const auto repo = tmp_.path() / "repo";
  const std::string head = InitWithCommit(repo);
  WriteFile(repo / "gateway.yaml", "metadata: {name: edited-not-committed}\n");
  ASSERT_FALSE(Git(repo, "status --porcelain").empty());
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), head);
  WriteFile(repo / "untracked.yaml", "metadata: {name: never-added}\n");
  EXPECT_EQ(GitRevisionOf((repo / "untracked.yaml").string()), head);
}

TEST_F(GitRevisionTest, PackedRefsAreRead) {
  const auto repo = tmp_.path() / "repo";
  InitWithCommit(repo);
  Git(repo, "branch other");  // a second packed ref, listed before refs/heads/main
  const std::string head = Commit(repo, "metadata: {name: two}\n");
  Git(repo, "pack-refs --all --prune");
  ASSERT_FALSE(std::filesystem::exists(repo / ".git" / "refs" / "heads" / "main")) << "the ref was not packed";
  ASSERT_NE(ReadFile(repo / ".git" / "packed-refs").find(head + " refs/heads/main"), std::string::npos);
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), head);

  // A newer loose ref wins over the packed one, as in git.
  const std::string newer = Commit(repo, "metadata: {name: three}\n");
  ASSERT_TRUE(std::filesystem::exists(repo / ".git" / "refs" / "heads" / "main"));
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), newer);
}

TEST_F(GitRevisionTest, DetachedHeadGivesThatCommit) {
  const auto repo = tmp_.path() / "repo";
  const std::string first = InitWithCommit(repo);
  Commit(repo, "metadata: {name: two}\n");
  Git(repo, "checkout -q --detach " + first);
  ASSERT_EQ(ReadFile(repo / ".git" / "HEAD"), first + "\n") << "HEAD is not detached";
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), first);
}

TEST_F(GitRevisionTest, LinkedWorktreeGivesItsOwnHead) {
  const auto repo = tmp_.path() / "repo";
  const auto wt = tmp_.path() / "wt";
  const std::string main_head = InitWithCommit(repo);
  Git(repo, "worktree add -q -b other '" + wt.string() + "'");
  ASSERT_TRUE(std::filesystem::is_regular_file(wt / ".git")) << "not a linked worktree";
  const std::string wt_head = Commit(wt, "metadata: {name: other}\n");
  ASSERT_NE(wt_head, main_head);
  EXPECT_EQ(GitRevisionOf((wt / "gateway.yaml").string()), wt_head);
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), main_head);

  // The worktree's branch packed into the common directory's packed-refs.
  Git(repo, "pack-refs --all --prune");
  ASSERT_FALSE(std::filesystem::exists(repo / ".git" / "refs" / "heads" / "other"));
  EXPECT_EQ(GitRevisionOf((wt / "gateway.yaml").string()), wt_head);

  // Detached in the worktree: its own HEAD file holds the id.
  Git(wt, "checkout -q --detach " + main_head);
  EXPECT_EQ(GitRevisionOf((wt / "gateway.yaml").string()), main_head);
}

TEST_F(GitRevisionTest, Sha256RepositoryLooseAndPackedRefs) {
  const auto repo = tmp_.path() / "repo";
  const std::string head = InitWithCommit(repo, "--object-format=sha256");
  ASSERT_EQ(head.size(), 64U) << head;
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), head);
  Git(repo, "pack-refs --all --prune");
  ASSERT_FALSE(std::filesystem::exists(repo / ".git" / "refs" / "heads" / "main")) << "the ref was not packed";
  EXPECT_EQ(GitRevisionOf((repo / "gateway.yaml").string()), head);
}

}  // namespace
}  // namespace ironward
