#include "reconcilers/docker/log_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ironward::docker {
namespace {

std::string Frame(int stream, const std::string& payload) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  const auto n = static_cast<std::uint32_t>(payload.size());
  f[4] = static_cast<char>((n >> 24U) & 0xFFU);
  f[5] = static_cast<char>((n >> 16U) & 0xFFU);
  f[6] = static_cast<char>((n >> 8U) & 0xFFU);
  f[7] = static_cast<char>(n & 0xFFU);
  return f + payload;
}

TEST(LogDemuxerTest, SplitsStdoutAndStderrInOrder) {
  // Exactly what Docker 20.10 sent for `sh -c 'echo out; echo err >&2'` (stderr frame first).
  const std::string body = std::string(
                               "\x02\0\0\0\0\0\0\x04"
                               "err\n",
                               12) +
                           std::string(
                               "\x01\0\0\0\0\0\0\x04"
                               "out\n",
                               12);
  auto r = DemuxLogs(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(LogDemuxerTest, HandlesFramesSplitAtEveryByte) {
  const std::string big(70000, 'x');  // size needs three bytes of the length field
  const std::string body = Frame(1, "a\n") + Frame(2, "b\n") + Frame(1, "") + Frame(1, big) + Frame(0, "in");
  LogDemuxer d;
  for (char c : body) ASSERT_TRUE(d.Feed(std::string_view(&c, 1)));
  ASSERT_TRUE(d.Finish().ok());
  EXPECT_EQ(d.output().out, "a\n" + big + "in");
  EXPECT_EQ(d.output().err, "b\n");
}

TEST(LogDemuxerTest, TruncatedFrameIsAnError) {
  auto r = DemuxLogs(Frame(1, "hello").substr(0, 10));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, ::testing::HasSubstr("ended inside a frame"));
  EXPECT_FALSE(DemuxLogs(std::string("\x01\0\0", 3)).ok());  // partial header
}

TEST(LogDemuxerTest, RawTtyTextIsRejectedAsMalformed) {
  LogDemuxer d;
  EXPECT_FALSE(d.Feed("hello world, this is a tty log\n"));
  EXPECT_FALSE(d.Feed(Frame(1, "later")));  // stays failed
  ASSERT_FALSE(d.Finish().ok());
  EXPECT_THAT(d.Finish().error().message, ::testing::HasSubstr("bad frame header"));
}

TEST(LogDemuxerTest, EmptyInputIsEmptyOutput) {
  auto r = DemuxLogs("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->out.empty());
  EXPECT_TRUE(r->err.empty());
}

}  // namespace
}  // namespace ironward::docker
