import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// Every second: the sandbox runs pushed crons like the backend does.
crons.interval("tick", { seconds: 1 }, internal.ticks.record, {});

export default crons;
