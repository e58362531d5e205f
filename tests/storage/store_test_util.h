// Store-level test helpers: open a RocksStore in a temp dir and run a transaction body
// with the retry-on-Busy loop every caller of core::Transaction is expected to have.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "core/store.h"
#include "storage/rocks_store.h"

namespace scimd::storage::testing {

inline std::unique_ptr<RocksStore> OpenOrDie(const std::string& dir,
                                             RocksStore::Options options = {}) {
  auto store = RocksStore::Open(dir, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

// Runs body(txn) then Commit, retrying the whole thing while it ends in Busy. Returns the
// first non-Busy outcome (of body or Commit). *busy_retries counts the retries.
template <typename Body>
core::Status RunTxn(core::Store& store, core::TenantId tenant, Body&& body,
                    int* busy_retries = nullptr) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<core::Transaction> txn = store.Begin(tenant);
    core::Status s = body(*txn);
    if (s.ok()) s = txn->Commit();
    if (!s.Is(core::Status::Code::kBusy) || attempt > 1'000'000) return s;
    if (busy_retries != nullptr) ++*busy_retries;
    txn.reset();  // roll back before retrying
    std::this_thread::yield();
  }
}

}  // namespace scimd::storage::testing
