// Filter binder: AST (names as text) -> BoundFilter, resolved against the schema registry.
// Unknown attributes and sub-attributes, operators a type does not support (gt on a
// boolean, co on a dateTime, anything on a complex attribute) and literals of the wrong
// type are InvalidFilter naming the attribute, never a silent match-all or match-none.
// Pure; any thread.
#pragma once

#include <string_view>

#include "core/base/status.h"
#include "core/filter/filter_ast.h"
#include "core/filter/filter_bound.h"

namespace scimd::core {

// Binds a filter over resources of `type`.
Result<BoundFilter> BindFilter(ResourceType type, const AstNode& root);

// Binds a value filter over the elements of the complex attribute `attr` (e.g. "emails" or
// "members", as in a PATCH path emails[type eq "work"]): every path of `root` names a
// sub-attribute of `attr`. Group members are plain elements here ({"value", "type",
// "display"}), so every operator works on them.
Result<BoundFilter> BindValueFilter(ResourceType type, const AstPath& attr, const AstNode& root);

}  // namespace scimd::core
