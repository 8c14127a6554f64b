// Parses a GitHub Actions workflow with GitHub's own parser (@actions/workflow-parser): exit 0 and the job ids on
// stdout when it is valid, exit 1 and each error on stderr when it is not. Run with NODE_PATH-free resolution: this
// file is copied next to the parser's node_modules by the test.
import { parseWorkflow, NoOperationTraceWriter, convertWorkflowTemplate } from "@actions/workflow-parser";
import { readFileSync } from "fs";

const file = process.argv[2];
const result = parseWorkflow({ name: file, content: readFileSync(file, "utf8") }, new NoOperationTraceWriter());
const errors = [...result.context.errors.getErrors()];
if (errors.length === 0 && result.value) {
  const template = await convertWorkflowTemplate(result.context, result.value);
  errors.push(...(template.errors || []));
  console.log(JSON.stringify({ jobs: template.jobs.map((j) => j.id.value ?? String(j.id)) }));
}
for (const e of errors) console.error(String(e.message ?? e));
process.exit(errors.length === 0 ? 0 : 1);
