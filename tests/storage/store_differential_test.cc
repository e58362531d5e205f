// RocksStore and MemStore side by side under the same random transactions, one or two open
// at a time: every call must answer the same in both (Busy included, as both lock the same
// keys in the same order), and after every round every read of core::Store must agree.
// What the contract tests check by example, this checks by volume.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "storage/mem_store.h"
#include "storage/rocks_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/storage/test_util.h"

namespace scimd::storage {
namespace {

using core::IndexTerm;
using core::IndexValue;
using core::ResourceId;
using core::ResourceType;
using core::Status;
using core::Transaction;
using testing::Id;

constexpr ResourceType kUser = ResourceType::kUser;
constexpr ResourceType kGroup = ResourceType::kGroup;
constexpr core::TenantId kTenants[] = {1, 2};
constexpr core::AttrId kAttrs[] = {1, 2};

const std::vector<IndexValue>& Values() {
  static const auto* values = new std::vector<IndexValue>{
      IndexValue::String("a"),  IndexValue::String("ab"), IndexValue::String("b"),
      IndexValue::Integer(-1),  IndexValue::Integer(0),   IndexValue::Integer(1),
      IndexValue::Boolean(true)};
  return *values;
}
std::vector<ResourceId> Members() { return {Id(1), Id(2), Id(3), Id(4), Id(5)}; }
std::vector<ResourceId> Groups() { return {Id(100), Id(101), Id(102)}; }

// What a call answered, as text: the status code, and the value when it succeeded.
std::string Text(const Status& s) { return s.ok() ? "ok" : std::string(core::CodeName(s.code())); }
template <typename T>
std::string Text(const core::Result<T>& r) {
  if (!r.ok()) return Text(r.status());
  std::ostringstream out;
  out << "ok " << *r;
  return out.str();
}

// The ids here are Id(n) with n < 256: n names them.
std::string Short(const ResourceId& id) { return std::to_string(id.bytes[7]); }

std::string ValueText(const IndexValue& v) {
  switch (v.kind) {
    case IndexValue::Kind::kString: return "s:" + v.string;
    case IndexValue::Kind::kBoolean: return v.boolean ? "true" : "false";
    default: return "i:" + std::to_string(v.integer);
  }
}

// Everything core::Store can tell about the ids, groups, attributes and values above.
std::string Dump(core::Store& store) {
  std::ostringstream out;
  auto ids = [&](const char* what, const Status& s, const std::vector<ResourceId>& v) {
    out << what << " " << Text(s) << ":";
    for (const ResourceId& id : v) out << " " << Short(id);
    out << "\n";
  };
  auto collect = [](std::vector<ResourceId>* v) {
    return [v](const ResourceId& id) {
      v->push_back(id);
      return true;
    };
  };
  auto entries = [&](std::vector<std::string>* v) {
    return [v](const IndexValue& value, const ResourceId& id) {
      v->push_back(ValueText(value) + "=" + Short(id));
      return true;
    };
  };
  for (core::TenantId t : kTenants) {
    out << "tenant " << t << "\n";
    for (ResourceType type : {kUser, kGroup}) {
      out << "count " << Text(store.CountResources(t, type)) << "\n";
      for (const std::optional<ResourceId>& after :
           {std::optional<ResourceId>(), std::optional<ResourceId>(Id(2))}) {
        Status s =
            store.ScanResources(t, type, after, [&](const ResourceId& id, std::string_view v) {
              out << " " << Short(id) << "=" << v;
              return true;
            });
        out << " resources " << Text(s) << "\n";
      }
      for (core::AttrId attr : kAttrs) {
        std::vector<ResourceId> v;
        ids("presence", store.ScanPresence(t, type, attr, collect(&v)), v);
        v.clear();
        ids("sw a", store.ScanIndexPrefix(t, type, attr, "a", collect(&v)), v);
        v.clear();
        ids("range",
            store.ScanIndexRange(t, type, attr, IndexValue::Kind::kInteger,
                                 core::IndexBound{IndexValue::Integer(-1), false},
                                 core::IndexBound{IndexValue::Integer(1), true}, collect(&v)),
            v);
        std::vector<std::string> e;
        out << "entries " << Text(store.ScanIndexEntries(t, type, attr, entries(&e)));
        for (const std::string& s : e) out << " " << s;
        e.clear();
        out << "\nunique " << Text(store.ScanUniqueEntries(t, type, attr, entries(&e)));
        for (const std::string& s : e) out << " " << s;
        for (IndexValue::Kind kind : {IndexValue::Kind::kString, IndexValue::Kind::kInteger}) {
          e.clear();
          out << "\ndesc "
              << Text(store.ScanIndexValuesDescending(t, type, attr, kind, entries(&e)));
          for (const std::string& s : e) out << " " << s;
        }
        out << "\n";
        for (const IndexValue& value : Values()) {
          const IndexTerm term{attr, value};
          v.clear();
          ids("eq", store.ScanIndexEq(t, type, term, collect(&v)), v);
          auto holder = store.LookupUnique(t, type, term);
          out << "holder " << Text(holder.status());
          if (holder.ok() && holder->has_value()) out << " " << Short(**holder);
          out << "\n";
          out << "has";
          for (const ResourceId& id : Members()) {
            out << " " << Text(store.HasIndexEntry(t, type, term, id));
          }
          out << "\n";
        }
        out << "has presence";
        for (const ResourceId& id : Members())
          out << " " << Text(store.HasPresence(t, type, attr, id));
        out << "\n";
      }
    }
    for (const ResourceId& g : Groups()) {
      out << "members " << Text(store.CountMembers(t, g));
      Status s = store.ScanMembers(
          t, g, std::nullopt, [&](const ResourceId& m, ResourceType type, std::string_view d) {
            out << " " << Short(m) << "/" << static_cast<int>(type) << "/" << d;
            return true;
          });
      out << " " << Text(s) << "\n";
      ids("members after 2", Status::Ok(), testing::MemberIds(store, t, g, Id(2)));
    }
    for (const std::vector<ResourceId>& all : {Members(), Groups()}) {
      for (const ResourceId& m : all) {
        ids("member of", Status::Ok(), testing::GroupIds(store, t, m));
      }
    }
  }
  return out.str();
}

// The same transaction in both stores.
struct Pair {
  std::unique_ptr<Transaction> rocks, mem;
};

class StoreDifferentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rocks_ = testing::OpenOrDie(dir_.Sub("db"));
    ASSERT_NE(rocks_, nullptr);
  }

  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng_)];
  }
  int Roll(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  // Makes one random call on both transactions; returns (a description, rocks, mem).
  std::vector<std::string> RandomCall(Pair& p) {
    const ResourceId m = Roll(4) == 0 ? Pick(Groups()) : Pick(Members());
    const ResourceId g = Pick(Groups());
    const ResourceType type = Roll(2) ? kUser : kGroup;
    const IndexTerm term{kAttrs[Roll(2)], Pick(Values())};
    const std::string value = "v" + std::to_string(Roll(100));
    const int64_t delta = Roll(3) - 1;
    const bool add = Roll(2) == 0;
    auto both = [&](std::string what, auto call) {
      return std::vector<std::string>{std::move(what), Text(call(*p.rocks)), Text(call(*p.mem))};
    };
    switch (Roll(14)) {
      case 0:
        return both("add member", [&](Transaction& t) { return t.AddMember(g, m, type, value); });
      case 1:
      case 2: return both("remove member", [&](Transaction& t) { return t.RemoveMember(g, m); });
      case 3: return both("clear", [&](Transaction& t) { return t.RemoveAllMembers(g); });
      case 4:
        return both("remove from all", [&](Transaction& t) { return t.RemoveFromAllGroups(m); });
      case 5: return both("put", [&](Transaction& t) { return t.PutResource(type, m, value); });
      case 6: return both("delete", [&](Transaction& t) { return t.DeleteResource(type, m); });
      case 7: return both("get", [&](Transaction& t) { return t.GetResourceForUpdate(type, m); });
      case 8:
        return both("count", [&](Transaction& t) { return t.AdjustResourceCount(type, delta); });
      case 9: return both("add index", [&](Transaction& t) { return t.AddIndex(type, term, m); });
      case 10:
        return both("remove index", [&](Transaction& t) { return t.RemoveIndex(type, term, m); });
      case 11:
        return both("presence", [&](Transaction& t) {
          return add ? t.AddPresence(type, term.attr, m) : t.RemovePresence(type, term.attr, m);
        });
      case 12: return both("claim", [&](Transaction& t) { return t.ClaimUnique(type, term, m); });
      default: return both("release", [&](Transaction& t) { return t.ReleaseUnique(type, term); });
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<RocksStore> rocks_;
  MemStore mem_;
  std::mt19937 rng_{20240611};
};

TEST_F(StoreDifferentialTest, RandomTransactionsAnswerAlikeAndLeaveTheSameState) {
  constexpr int kRounds = 500;
  int busy = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // One or two transactions open at once, their calls interleaved.
    std::vector<Pair> open(Roll(3) == 0 ? 1 : 2);
    for (Pair& p : open) {
      const core::TenantId tenant = Roll(4) == 0 ? 2 : 1;
      p.rocks = rocks_->Begin(tenant);
      p.mem = mem_.Begin(tenant);
    }
    const int calls = 1 + Roll(10);
    for (int i = 0; i < calls; ++i) {
      Pair& p = open[Roll(open.size())];
      if (!p.rocks) continue;
      // The random draws must not depend on the answers, so both sides see the same calls.
      const std::vector<std::string> r = RandomCall(p);
      ASSERT_EQ(r[1], r[2]) << r[0] << " (rocks / mem)";
      if (r[1] == "busy") {
        ++busy;
        p.rocks.reset();  // a caller rolls back on Busy
        p.mem.reset();
      }
    }
    for (Pair& p : open) {
      if (!p.rocks || Roll(5) == 0) continue;  // dropped: rolled back
      ASSERT_EQ(Text(p.rocks->Commit()), Text(p.mem->Commit()));
    }
    open.clear();
    ASSERT_EQ(Dump(*rocks_), Dump(mem_));
  }
  RecordProperty("busy", busy);
  std::printf("differential: %d busy answers over %d rounds\n", busy, kRounds);
}

}  // namespace
}  // namespace scimd::storage
