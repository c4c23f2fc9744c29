// Observe/Plan are read-only by type in every run (reconcilers/reconciler.h): ReadDeps holds the
// read halves of the outside clients, which have no method that writes. The static_asserts below
// stop compiling the moment a write reaches a read half or ReadDeps gets a full client; each write
// is also checked to compile against WriteDeps, so a misspelt check cannot pass by accident.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <type_traits>

#include "reconcilers/docker/docker_api.h"
#include "reconcilers/host_firewall/host_firewall.h"
#include "reconcilers/io/file_reader.h"
#include "reconcilers/io/http_client.h"
#include "reconcilers/network/firewall.h"
#include "reconcilers/reconciler.h"
#include "state/state_dir.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_docker.h"
#include "tests/fakes/fake_file_reader.h"
#include "tests/fakes/scripted_http_client.h"
#include "tests/host_firewall/fake_host_firewall.h"
#include "tests/network/fake_firewall.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

template <class P>
using Pointee = std::remove_pointer_t<P>;
template <class V>
using Element = Pointee<typename V::value_type>;

// Docker: every call that changes the engine or blocks on a container.
template <class D>
concept CreatesContainer = requires(D& d, const docker::ContainerCreateSpec& s) { d.CreateContainer("n", s); };
template <class D>
concept StartsContainer = requires(D& d) { d.StartContainer("id"); };
template <class D>
concept StopsContainer = requires(D& d) { d.StopContainer("id", std::chrono::seconds(1)); };
template <class D>
concept RemovesContainer = requires(D& d) { d.RemoveContainer("id", true); };
template <class D>
concept WaitsForContainer = requires(D& d) { d.WaitContainer("id", std::chrono::milliseconds(1)); };
template <class D>
concept CreatesNetwork = requires(D& d, const docker::NetworkCreateSpec& s) { d.CreateNetwork(s); };
template <class D>
concept ConnectsNetwork = requires(D& d) { d.ConnectNetwork("net", "id"); };
template <class D>
concept DisconnectsNetwork = requires(D& d) { d.DisconnectNetwork("net", "id", true); };
template <class D>
concept RemovesNetwork = requires(D& d) { d.RemoveNetwork("net"); };
template <class D>
concept AnyDockerWrite = CreatesContainer<D> || StartsContainer<D> || StopsContainer<D> || RemovesContainer<D> ||
                         WaitsForContainer<D> || CreatesNetwork<D> || ConnectsNetwork<D> || DisconnectsNetwork<D> ||
                         RemovesNetwork<D>;
template <class D>
concept EveryDockerWrite = CreatesContainer<D> && StartsContainer<D> && StopsContainer<D> && RemovesContainer<D> &&
                           WaitsForContainer<D> && CreatesNetwork<D> && ConnectsNetwork<D> &&
                           DisconnectsNetwork<D> && RemovesNetwork<D>;
static_assert(!AnyDockerWrite<Pointee<decltype(ReadDeps::docker)>>, "ReadDeps::docker must not change the engine");
static_assert(EveryDockerWrite<Pointee<decltype(WriteDeps::docker)>>);

// nftables: table inet ironward.
template <class F>
concept ReplacesTable = requires(F& f, const netfilter::TableSpec& t) { f.ReplaceTable(t); };
template <class F>
concept DeletesTable = requires(F& f) { f.DeleteTable(); };
static_assert(!ReplacesTable<Pointee<decltype(ReadDeps::firewall)>> &&
                  !DeletesTable<Pointee<decltype(ReadDeps::firewall)>>,
              "ReadDeps::firewall must not change the table");
static_assert(ReplacesTable<Pointee<decltype(WriteDeps::firewall)>> &&
              DeletesTable<Pointee<decltype(WriteDeps::firewall)>>);

// ufw / firewalld.
template <class H>
concept Allows = requires(H& h, const hostfw::Opening& o) { h.Allow(o, "zone"); };
template <class H>
concept Revokes = requires(H& h, const hostfw::Opening& o) { h.Revoke(o, "zone"); };
static_assert(!Allows<Element<decltype(ReadDeps::host_firewalls)>> &&
                  !Revokes<Element<decltype(ReadDeps::host_firewalls)>>,
              "ReadDeps::host_firewalls must not change a host firewall");
static_assert(Allows<Element<decltype(WriteDeps::host_firewalls)>> &&
              Revokes<Element<decltype(WriteDeps::host_firewalls)>>);

// HTTP: only Get (GET/HEAD) on the read half.
template <class C>
concept SendsAnyMethod = requires(C& c, const HttpRequest& r) { c.Send(r); };
static_assert(!SendsAnyMethod<Pointee<decltype(ReadDeps::http)>>, "ReadDeps::http must not send a POST");
static_assert(SendsAnyMethod<Pointee<decltype(WriteDeps::http)>>);

// The state directory: a reader, even without the const.
template <class S>
concept WritesState = requires(S& s) {
  s.WriteAtomic("f", "x", 0600);
} || requires(S& s) { s.Remove("f"); } || requires(S& s) { s.Rename("f", "g"); } || requires(S& s) {
  s.Chmod("f", 0600);
} || requires(S& s) { s.CopyTruncate("f", "g", 0600); } || requires(S& s) { s.EnsureRoot(); };
static_assert(!WritesState<std::remove_cvref_t<decltype(ReadDeps::state)>>, "ReadDeps::state must not write");
static_assert(WritesState<std::remove_cvref_t<decltype(WriteDeps::state)>>);

TEST(ReadOnlyDepsTest, HttpReaderSendsGetAndHeadAndRefusesTheRestBeforeSending) {
  testing::ScriptedHttpClient client(
      [](const HttpRequest&) -> Result<HttpResponse> { return testing::Reply(200, "ok"); });
  HttpReader& reader = client;
  for (const char* method : {"GET", "HEAD"}) {
    HttpRequest rq;
    rq.method = method;
    rq.url = "http://127.0.0.1:1/healthz";
    auto r = reader.Get(rq);
    ASSERT_TRUE(r.ok()) << method << ": " << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    HttpRequest rq;
    rq.method = method;
    rq.url = "http://127.0.0.1:1/reload";
    auto r = reader.Get(rq);
    ASSERT_FALSE(r.ok()) << method;
    EXPECT_TRUE(r.error().terminal());
    EXPECT_NE(r.error().message.find(std::string("refusing ") + method), std::string::npos) << r.error().message;
  }
  ASSERT_EQ(client.requests().size(), 2U) << "only GET and HEAD reached the client";
  EXPECT_EQ(client.requests()[0].method, "GET");
  EXPECT_EQ(client.requests()[1].method, "HEAD");
}

TEST(ReadOnlyDepsTest, WriteDepsReadHandsOverTheSameObjectsAsReadHalves) {
  testing::TempDir tmp;
  state::StateWriter writer(tmp.path());
  FakeClock clock;
  testing::ScriptedHttpClient http(
      [](const HttpRequest&) -> Result<HttpResponse> { return testing::Reply(200); });
  docker::FakeDocker engine;
  netfilter::FakeFirewall firewall;
  hostfw::FakeHostFirewall ufw(hostfw::Tool::kUfw);
  hostfw::FakeHostFirewall firewalld(hostfw::Tool::kFirewalld);
  FakeFileReader files;
  const WriteDeps w{clock, writer, &http, nullptr, &engine, &firewall, {&ufw, &firewalld}, &files};
  const ReadDeps r = w.Read();
  EXPECT_EQ(&r.clock, &w.clock);
  EXPECT_EQ(&r.state, static_cast<const state::StateReader*>(&writer));
  EXPECT_EQ(r.http, static_cast<HttpReader*>(&http));
  EXPECT_EQ(r.host, nullptr);
  EXPECT_EQ(r.docker, static_cast<docker::DockerReader*>(&engine));
  EXPECT_EQ(r.firewall, static_cast<netfilter::FirewallReader*>(&firewall));
  ASSERT_EQ(r.host_firewalls.size(), 2U);
  EXPECT_EQ(r.host_firewalls[0], static_cast<hostfw::HostFirewallReader*>(&ufw));
  EXPECT_EQ(r.host_firewalls[1], static_cast<hostfw::HostFirewallReader*>(&firewalld));
  EXPECT_EQ(r.files, &files);
}

}  // namespace
}  // namespace ironward
