export * from "resources/users";
