// SPDX-License-Identifier: BSD-2-Clause
// A shared library imported `with { type: "file" }` is its path.
declare module "*.so" {
  const path: string;
  export default path;
}
