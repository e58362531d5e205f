// Bulk without a store: envelope parsing, bulkId references, ordering, cycles, failOnErrors.
#include "core/scim/bulk.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/scim/scim_error.h"

namespace scimd::core {
namespace {

constexpr std::string_view kHead =
    R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],)";

std::string Request(const std::string& operations, const std::string& extra = "") {
  return std::string(kHead) + extra + R"("Operations":[)" + operations + "]}";
}

std::string UserPost(const std::string& bulk_id, const std::string& extra = "") {
  return R"({"method":"POST","path":"/Users","bulkId":")" + bulk_id + R"(","data":{"userName":")" +
         bulk_id + "\"" + extra + "}}";
}

std::string GroupPost(const std::string& bulk_id, const std::vector<std::string>& members) {
  std::string s = R"({"method":"POST","path":"/Groups","bulkId":")" + bulk_id +
                  R"(","data":{"displayName":")" + bulk_id + R"(","members":[)";
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) s += ",";
    s += R"({"value":")" + members[i] + "\"}";
  }
  return s + "]}}";
}

BulkRequest MustParse(const std::string& body, BulkLimits limits = {}) {
  auto r = ParseBulkRequest(body, limits);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : BulkRequest{};
}

Status ParseError(const std::string& body, BulkLimits limits = {}) {
  auto r = ParseBulkRequest(body, limits);
  EXPECT_FALSE(r.ok()) << body;
  return r.status();
}

// ---- envelope ----

TEST(BulkParseTest, EnvelopeErrors) {
  EXPECT_TRUE(ParseError("not json").Is(Status::Code::kInvalidSyntax));
  EXPECT_TRUE(ParseError("[]").Is(Status::Code::kInvalidSyntax));
  EXPECT_TRUE(ParseError(R"({"Operations":[]})").Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(ParseError(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                             "Operations":[]})")
                  .Is(Status::Code::kInvalidValue));
  EXPECT_TRUE(ParseError(std::string(kHead) + R"("x":1})").Is(Status::Code::kInvalidSyntax));
  EXPECT_TRUE(
      ParseError(std::string(kHead) + R"("Operations":{}})").Is(Status::Code::kInvalidSyntax));
  EXPECT_TRUE(ParseError(Request("1")).Is(Status::Code::kInvalidSyntax));
  for (const char* bad : {"0", "-1", "\"1\"", "1.5", "true"}) {
    Status s = ParseError(Request("", std::string(R"("failOnErrors":)") + bad + ","));
    EXPECT_TRUE(s.Is(Status::Code::kInvalidValue)) << bad << " " << s.ToString();
  }
}

TEST(BulkParseTest, NamesAreCaseInsensitiveAndFailOnErrorsIsRead) {
  BulkRequest r = MustParse(R"({"SCHEMAS":["URN:ietf:params:scim:api:messages:2.0:bulkrequest"],
      "FailOnErrors":3,"operations":[{"Method":"delete","PATH":"users/abc"}]})");
  ASSERT_EQ(r.operations.size(), 1u);
  EXPECT_EQ(r.fail_on_errors, 3u);
  const BulkOperation& op = r.operations[0];
  EXPECT_TRUE(op.error.ok()) << op.error.ToString();
  EXPECT_EQ(op.method, BulkMethod::kDelete);
  EXPECT_EQ(op.method_text, "DELETE");
  EXPECT_EQ(op.type, ResourceType::kUser);
  EXPECT_EQ(op.id, "abc");
  EXPECT_FALSE(MustParse(Request("")).fail_on_errors.has_value());
}

TEST(BulkParseTest, DuplicateBulkIdsRejectTheRequest) {
  Status s = ParseError(Request(UserPost("a") + "," + UserPost("b") + "," + UserPost("a")));
  EXPECT_TRUE(s.Is(Status::Code::kInvalidValue));
  EXPECT_NE(s.detail().find("Operations[0]"), std::string::npos) << s.detail();
  EXPECT_NE(s.detail().find("Operations[2]"), std::string::npos) << s.detail();
}

TEST(BulkParseTest, LimitsGive413NamingTheLimit) {
  BulkLimits limits;
  limits.max_operations = 2;
  Status s = ParseError(Request(UserPost("a") + "," + UserPost("b") + "," + UserPost("c")), limits);
  EXPECT_TRUE(s.Is(Status::Code::kPayloadTooLarge));
  EXPECT_NE(s.detail().find("maxOperations (2)"), std::string::npos) << s.detail();
  EXPECT_EQ(MustParse(Request(UserPost("a") + "," + UserPost("b")), limits).operations.size(), 2u);

  limits = BulkLimits{};
  const std::string body = Request(UserPost("a"));
  limits.max_payload_bytes = body.size() - 1;
  s = ParseError(body, limits);
  EXPECT_TRUE(s.Is(Status::Code::kPayloadTooLarge));
  EXPECT_NE(s.detail().find("maxPayloadSize (" + std::to_string(body.size() - 1) + ")"),
            std::string::npos)
      << s.detail();
  limits.max_payload_bytes = body.size();
  EXPECT_EQ(MustParse(body, limits).operations.size(), 1u);
}

TEST(BulkParseTest, InvalidOperationsFailAloneWithoutFailingTheRequest) {
  BulkRequest r = MustParse(
      Request(R"({"method":"GET","path":"/Users/x"},)"                          // 0 method
              R"({"path":"/Users/x"},)"                                         // 1 no method
              R"({"method":"POST","path":"/Users","data":{}},)"                 // 2 no bulkId
              R"({"method":"POST","path":"/Users/x","bulkId":"p","data":{}},)"  // 3 id on POST
              R"({"method":"PUT","path":"/Users","data":{}},)"                  // 4 no id
              R"({"method":"PUT","path":"/Users/x"},)"                          // 5 no data
              R"({"method":"DELETE","path":"/Widgets/x"},)"                     // 6 bad endpoint
              R"({"method":"DELETE","path":"/Users/x/y"},)"                     // 7 too deep
              R"({"method":"PATCH","path":"/Groups/g","data":[]},)"             // 8 data not object
              R"({"method":"DELETE","path":"/Groups/g/"})"));                   // 9 fine
  ASSERT_EQ(r.operations.size(), 10u);
  for (size_t i = 0; i < 9; ++i) {
    EXPECT_FALSE(r.operations[i].error.ok()) << i;
    EXPECT_EQ(ToHttp(r.operations[i].error.code()).http_status, 400) << i;
    EXPECT_NE(r.operations[i].error.detail().find("Operations[" + std::to_string(i) + "]"),
              std::string::npos)
        << r.operations[i].error.detail();
  }
  EXPECT_EQ(r.operations[0].method_text, "GET");  // echoed as sent
  EXPECT_TRUE(r.operations[9].error.ok()) << r.operations[9].error.ToString();
  EXPECT_EQ(r.operations[9].type, ResourceType::kGroup);
  EXPECT_EQ(r.operations[9].id, "g");
}

// ---- references ----

TEST(BulkRefsTest, CollectFindsStringValuesAtAnyDepthOnce) {
  auto json = Json::Parse(R"({"members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"},
      {"value":"bulkId:u1"},{"value":"plain"}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"bulkId:m"}},
      "bulkId:key":"not a reference: keys are not values",
      "note":"xbulkId:no","other":"BULKID:case-sensitive","n":1})");
  ASSERT_TRUE(json.ok());
  std::vector<std::string> refs = {"m"};
  CollectBulkIdRefs(*json, refs);
  EXPECT_EQ(refs, (std::vector<std::string>{"m", "u1", "u2"}));
}

TEST(BulkRefsTest, SubstituteReplacesEveryReference) {
  auto json = Json::Parse(R"({"members":[{"value":"bulkId:u1"},{"value":"u9"}],
      "manager":{"value":"bulkId:m"},"list":["bulkId:u1",["bulkId:m"]]})");
  ASSERT_TRUE(json.ok());
  SubstituteBulkIds(*json, {{"u1", "id-1"}, {"m", "id-m"}});
  EXPECT_EQ(json->Serialize(),
            R"({"members":[{"value":"id-1"},{"value":"u9"}],"manager":{"value":"id-m"},)"
            R"("list":["id-1",["id-m"]]})");
}

TEST(BulkRefsTest, PathAndDataReferencesAreCollected) {
  BulkRequest r = MustParse(Request(
      R"({"method":"PUT","path":"/Groups/bulkId:g","data":{"displayName":"G",
          "members":[{"value":"bulkId:u"},{"value":"bulkId:g"}]}})"));
  EXPECT_EQ(r.operations[0].refs, (std::vector<std::string>{"g", "u"}));
  EXPECT_EQ(r.operations[0].id, "bulkId:g");
}

// ---- plan and execution (with a fake executor) ----

struct FakeRun {
  std::vector<size_t> order;           // indices in execution order
  std::vector<std::string> seen_data;  // data as the executor saw it, by execution
  std::vector<std::string> seen_ids;
  std::vector<size_t> ran;
  std::vector<std::optional<BulkOpResult>> results;
  std::vector<std::string> fail_bulk_ids;  // POSTs with these bulkIds fail with 409
};

void RunFake(BulkRequest& request, FakeRun& run) {
  int next = 0;
  run.ran = ExecuteBulk(
      request,
      [&](const BulkOperation& op) {
        run.order.push_back(op.index);
        run.seen_data.push_back(op.data.Serialize());
        run.seen_ids.push_back(op.id);
        BulkOpResult r;
        for (const auto& f : run.fail_bulk_ids) {
          if (op.method == BulkMethod::kPost && op.bulk_id == f) {
            r.status = 409;
            r.error_body = ScimErrorBody(409, "uniqueness", "taken");
            return r;
          }
        }
        r.status = op.method == BulkMethod::kPost ? 201 : 200;
        if (op.method == BulkMethod::kPost) r.created_id = "id" + std::to_string(next++);
        return r;
      },
      run.results);
}

TEST(BulkExecuteTest, RequestOrderWhenNothingIsReferenced) {
  BulkRequest r = MustParse(
      Request(UserPost("a") + "," + R"({"method":"DELETE","path":"/Users/x"},)" + UserPost("b")));
  FakeRun run;
  RunFake(r, run);
  EXPECT_EQ(run.order, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2}));
}

TEST(BulkExecuteTest, ForwardReferencesRunAfterTheirPostsAndAreSubstituted) {
  // The group comes first but references two users defined later; a PUT of the group by
  // bulkId comes before everything.
  BulkRequest r = MustParse(Request(
      R"({"method":"PUT","path":"/Groups/bulkId:g","data":{"displayName":"G2"}},)" +
      GroupPost("g", {"bulkId:u1", "bulkId:u2", "literal"}) + "," +
      R"({"method":"DELETE","path":"/Users/zzz"},)" + UserPost("u1") + "," + UserPost("u2")));
  FakeRun run;
  RunFake(r, run);
  // Ready first: DELETE (2) and u1 (3) and u2 (4); then the group (1); then its PUT (0).
  EXPECT_EQ(run.order, (std::vector<size_t>{2, 3, 4, 1, 0}));
  EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(run.seen_data[3], R"({"displayName":"g","members":[{"value":"id0"},{"value":"id1"},)"
                              R"({"value":"literal"}]})");
  EXPECT_EQ(run.seen_ids[4], "id2");  // the PUT's path names the group's new id
  for (size_t i = 0; i < 5; ++i) EXPECT_LT(run.results[i]->status, 400) << i;
}

TEST(BulkExecuteTest, UnknownBulkIdFailsWith400AndOthersRun) {
  BulkRequest r = MustParse(Request(GroupPost("g", {"bulkId:nobody"}) + "," + UserPost("u")));
  FakeRun run;
  RunFake(r, run);
  EXPECT_EQ(run.order, (std::vector<size_t>{1}));
  ASSERT_TRUE(run.results[0].has_value());
  EXPECT_EQ(run.results[0]->status, 400);
  EXPECT_NE(run.results[0]->error_body.find("invalidValue"), std::string::npos);
  EXPECT_NE(run.results[0]->error_body.find("nobody"), std::string::npos);
  EXPECT_EQ(run.results[1]->status, 201);
}

TEST(BulkExecuteTest, CyclesFailWith409AndTheirDependentsFailNamingTheBulkId) {
  // a <-> b is a cycle; c references a (not on the cycle); d references itself; e is free.
  BulkRequest r = MustParse(Request(
      GroupPost("a", {"bulkId:b"}) + "," + GroupPost("b", {"bulkId:a"}) + "," +
      GroupPost("c", {"bulkId:a"}) + "," + GroupPost("d", {"bulkId:d"}) + "," + UserPost("e")));
  BulkPlan plan = PlanBulk(r);
  ASSERT_TRUE(plan.failed[0] && plan.failed[1] && plan.failed[3]);
  EXPECT_FALSE(plan.failed[2]);
  EXPECT_FALSE(plan.failed[4]);
  EXPECT_EQ(plan.failed[0]->status, 409);
  EXPECT_NE(plan.failed[0]->error_body.find("circular"), std::string::npos);
  EXPECT_NE(plan.failed[0]->error_body.find(R"(\"a\", \"b\")"), std::string::npos)
      << plan.failed[0]->error_body;
  EXPECT_EQ(plan.failed[3]->status, 409);

  FakeRun run;
  RunFake(r, run);
  EXPECT_EQ(run.order, (std::vector<size_t>{4}));  // only e reaches the executor
  EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(run.results[2]->status, 409);
  EXPECT_NE(run.results[2]->error_body.find(R"(bulkId \"a\" cannot be resolved)"),
            std::string::npos)
      << run.results[2]->error_body;
  EXPECT_EQ(run.results[4]->status, 201);
}

TEST(BulkExecuteTest, AnOperationBetweenTwoCyclesIsNotOnACycle) {
  // a <-> b; x references b; c <-> d and c references x.
  BulkRequest r = MustParse(
      Request(GroupPost("a", {"bulkId:b"}) + "," + GroupPost("b", {"bulkId:a"}) + "," +
              GroupPost("x", {"bulkId:b"}) + "," + GroupPost("c", {"bulkId:d", "bulkId:x"}) + "," +
              GroupPost("d", {"bulkId:c"})));
  BulkPlan plan = PlanBulk(r);
  EXPECT_TRUE(plan.failed[0] && plan.failed[1] && plan.failed[3] && plan.failed[4]);
  EXPECT_FALSE(plan.failed[2]);
  FakeRun run;
  RunFake(r, run);
  EXPECT_TRUE(run.order.empty());
  EXPECT_EQ(run.ran.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(run.results[i]->status, 409) << i;
}

TEST(BulkExecuteTest, FailedPostFailsItsDependentsTransitively) {
  BulkRequest r =
      MustParse(Request(UserPost("u") + "," + GroupPost("g", {"bulkId:u"}) + "," +
                        R"({"method":"DELETE","path":"/Groups/bulkId:g"},)" + UserPost("v")));
  FakeRun run;
  run.fail_bulk_ids = {"u"};
  RunFake(r, run);
  EXPECT_EQ(run.order, (std::vector<size_t>{0, 3}));
  EXPECT_EQ(run.results[0]->status, 409);
  EXPECT_EQ(run.results[1]->status, 409);
  EXPECT_NE(run.results[1]->error_body.find(R"(bulkId \"u\")"), std::string::npos);
  EXPECT_EQ(run.results[2]->status, 409);
  EXPECT_NE(run.results[2]->error_body.find(R"(bulkId \"g\")"), std::string::npos);
  EXPECT_EQ(run.results[3]->status, 201);
}

TEST(BulkExecuteTest, FailOnErrorsStopsAfterThatManyErrors) {
  const std::string ops =
      UserPost("a") + "," + UserPost("b") + "," + UserPost("c") + "," + UserPost("d");
  {
    BulkRequest r = MustParse(Request(ops, R"("failOnErrors":1,)"));
    FakeRun run;
    run.fail_bulk_ids = {"b", "c"};
    RunFake(r, run);
    EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1}));
    EXPECT_FALSE(run.results[2].has_value());
  }
  {
    BulkRequest r = MustParse(Request(ops, R"("failOnErrors":2,)"));
    FakeRun run;
    run.fail_bulk_ids = {"b", "c"};
    RunFake(r, run);
    EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2}));
  }
  {
    BulkRequest r = MustParse(Request(ops));
    FakeRun run;
    run.fail_bulk_ids = {"a", "b", "c", "d"};
    RunFake(r, run);
    EXPECT_EQ(run.ran.size(), 4u);  // no failOnErrors: everything runs
  }
}

TEST(BulkExecuteTest, InvalidOperationsCountAsErrorsInExecutionOrder) {
  BulkRequest r =
      MustParse(Request(UserPost("a") + R"(,{"method":"GET","path":"/Users/x"},)" + UserPost("b"),
                        R"("failOnErrors":1,)"));
  FakeRun run;
  RunFake(r, run);
  EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(run.results[1]->status, 400);
}

TEST(BulkExecuteTest, LongCycleDetailIsBounded) {
  std::string ops;
  constexpr int kN = 200;
  for (int i = 0; i < kN; ++i) {
    if (i > 0) ops += ",";
    ops += GroupPost("g" + std::to_string(i), {"bulkId:g" + std::to_string((i + 1) % kN)});
  }
  BulkRequest r = MustParse(Request(ops));
  BulkPlan plan = PlanBulk(r);
  for (int i = 0; i < kN; ++i) {
    ASSERT_TRUE(plan.failed[i]) << i;
    EXPECT_LT(plan.failed[i]->error_body.size(), 600u);
  }
}

TEST(BulkExecuteTest, DeepChainDoesNotRecurse) {
  // A chain of 1000 POSTs, each referencing the next: ordering runs them last to first.
  std::string ops;
  constexpr int kN = 1000;
  for (int i = 0; i < kN; ++i) {
    if (i > 0) ops += ",";
    if (i + 1 < kN) {
      ops += GroupPost("g" + std::to_string(i), {"bulkId:g" + std::to_string(i + 1)});
    } else {
      ops += GroupPost("g" + std::to_string(i), {});
    }
  }
  BulkRequest r = MustParse(Request(ops));
  FakeRun run;
  RunFake(r, run);
  ASSERT_EQ(run.order.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(run.order[i], static_cast<size_t>(kN - 1 - i));
}

// ---- batching (a fake batch executor: POSTs of Users are batchable) ----

struct BatchedRun {
  std::vector<std::vector<size_t>> batches;  // indices of each batch, as run
  std::vector<size_t> singles;               // operations run one at a time, in order
  std::vector<size_t> ran;
  std::vector<std::optional<BulkOpResult>> results;
  std::vector<std::string> fail_bulk_ids;  // POSTs with these bulkIds fail with 409
  std::vector<std::string> seen_data;      // data of the single operations
};

void RunBatched(BulkRequest& request, BatchedRun& run) {
  int next = 0;
  auto result_of = [&](const BulkOperation& op) {
    BulkOpResult r;
    for (const auto& f : run.fail_bulk_ids) {
      if (op.method == BulkMethod::kPost && op.bulk_id == f) {
        r.status = 409;
        return r;
      }
    }
    r.status = op.method == BulkMethod::kPost ? 201 : 200;
    if (op.method == BulkMethod::kPost) r.created_id = "id" + std::to_string(next++);
    return r;
  };
  run.ran = ExecuteBulk(
      request,
      [&](const BulkOperation& op) {
        run.singles.push_back(op.index);
        run.seen_data.push_back(op.data.Serialize());
        return result_of(op);
      },
      run.results,
      [](const BulkOperation& op) {
        return op.method == BulkMethod::kPost && op.type == ResourceType::kUser;
      },
      [&](const std::vector<const BulkOperation*>& ops, size_t max_failures) {
        std::vector<size_t> indices;
        std::vector<BulkOpResult> out;
        size_t failures = 0;
        for (const BulkOperation* op : ops) {
          if (failures >= max_failures) break;
          indices.push_back(op->index);
          out.push_back(result_of(*op));
          if (out.back().status >= 400) ++failures;
        }
        run.batches.push_back(indices);
        return out;
      });
}

TEST(BulkExecuteBatchTest, RunsOfPostsBatchAndAReferenceRunsAfterItsBatch) {
  // u1 u2 | group(u1, u2) | u3 | PATCH u3 | u4 u5: the group and the PATCH need the batch's
  // ids, so each runs the batch before it; u3 is batched alone.
  BulkRequest r = MustParse(Request(
      UserPost("u1") + "," + UserPost("u2") + "," + GroupPost("g", {"bulkId:u1", "bulkId:u2"}) +
      "," + UserPost("u3") + "," +
      R"({"method":"PATCH","path":"/Users/bulkId:u3","data":{"schemas":[],"Operations":[]}},)" +
      UserPost("u4") + "," + UserPost("u5")));
  BatchedRun run;
  RunBatched(r, run);
  EXPECT_EQ(run.batches, (std::vector<std::vector<size_t>>{{0, 1}, {3}, {5, 6}}));
  EXPECT_EQ(run.singles, (std::vector<size_t>{2, 4}));
  EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(run.seen_data[0], R"({"displayName":"g","members":[{"value":"id0"},{"value":"id1"}]})");
  EXPECT_EQ(run.results[4]->status, 200);
}

TEST(BulkExecuteBatchTest, AReferenceToAPostThatFailedInItsBatchFailsWith409) {
  BulkRequest r = MustParse(
      Request(UserPost("u1") + "," + UserPost("u2") + "," + GroupPost("g", {"bulkId:u2"})));
  BatchedRun run;
  run.fail_bulk_ids = {"u2"};
  RunBatched(r, run);
  EXPECT_EQ(run.batches, (std::vector<std::vector<size_t>>{{0, 1}}));
  EXPECT_TRUE(run.singles.empty());
  EXPECT_EQ(run.results[0]->status, 201);
  EXPECT_EQ(run.results[1]->status, 409);
  EXPECT_EQ(run.results[2]->status, 409);
  EXPECT_NE(run.results[2]->detail.find("bulkId \"u2\" cannot be resolved"), std::string::npos)
      << run.results[2]->detail;
}

TEST(BulkExecuteBatchTest, FailOnErrorsCountsTheBatchsFailuresInOrder) {
  const std::string ops = UserPost("a") + "," + UserPost("b") + "," + UserPost("c") + "," +
                          R"({"method":"DELETE","path":"/Users/x"},)" + UserPost("d");
  {
    // The second failure (c) ends the run inside the batch: the DELETE and d never run.
    BulkRequest r = MustParse(Request(ops, R"("failOnErrors":2,)"));
    BatchedRun run;
    run.fail_bulk_ids = {"a", "c", "d"};
    RunBatched(r, run);
    EXPECT_EQ(run.batches, (std::vector<std::vector<size_t>>{{0, 1, 2}}));
    EXPECT_TRUE(run.singles.empty());
    EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2}));
    EXPECT_FALSE(run.results[3].has_value());
  }
  {
    // One failure in the batch, the second one after it: the budget passed on is 2 - 1.
    BulkRequest r = MustParse(Request(ops, R"("failOnErrors":2,)"));
    BatchedRun run;
    run.fail_bulk_ids = {"b", "d"};
    RunBatched(r, run);
    EXPECT_EQ(run.batches, (std::vector<std::vector<size_t>>{{0, 1, 2}, {4}}));
    EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1, 2, 3, 4}));
  }
  {
    // An invalid operation between batches counts where it stands.
    BulkRequest r =
        MustParse(Request(UserPost("a") + R"(,{"method":"GET","path":"/Users/x"},)" + UserPost("b"),
                          R"("failOnErrors":1,)"));
    BatchedRun run;
    RunBatched(r, run);
    EXPECT_EQ(run.batches, (std::vector<std::vector<size_t>>{{0}}));
    EXPECT_EQ(run.ran, (std::vector<size_t>{0, 1}));
    EXPECT_EQ(run.results[1]->status, 400);
  }
}

TEST(BulkExecuteBatchTest, AThousandPostsAreOneBatch) {
  std::string ops;
  for (int i = 0; i < 1000; ++i) ops += (i > 0 ? "," : "") + UserPost("u" + std::to_string(i));
  BulkRequest r = MustParse(Request(ops));
  BatchedRun run;
  RunBatched(r, run);
  ASSERT_EQ(run.batches.size(), 1u);
  EXPECT_EQ(run.batches[0].size(), 1000u);
  EXPECT_EQ(run.ran.size(), 1000u);
}

TEST(BulkErrorBodyTest, ShapeWithAndWithoutScimType) {
  EXPECT_EQ(ScimErrorBody(409, "", "x"),
            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409",)"
            R"("detail":"x"})");
  EXPECT_EQ(ScimErrorBody(400, "invalidValue", "a\"b"),
            R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400",)"
            R"("scimType":"invalidValue","detail":"a\"b"})");
}

}  // namespace
}  // namespace scimd::core
