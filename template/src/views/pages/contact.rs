//! The contact page: a short form whose message is emailed to the site's owner.

use leptos::prelude::*;

use crate::{
    paths,
    views::components::form::{CsrfField, Field, FormErrors, HxForm, TextArea},
};

/// What the visitor typed, kept when the form comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct ContactValues {
    pub name: String,
    pub email: String,
    pub message: String,
}

#[component]
pub fn ContactPage(children: Children) -> impl IntoView {
    view! {
        <section class="card mx-auto max-w-xl bg-base-100 shadow-sm" aria-labelledby="contact-title">
            <div class="card-body gap-4">
                <h1 id="contact-title" class="card-title text-2xl">"Contact us"</h1>
                <p class="text-base-content/80">
                    "A question, an idea, something broken? Write to us and we will answer by email."
                </p>
                {children()}
            </div>
        </section>
    }
}

#[component]
pub fn ContactForm(csrf: String, values: ContactValues, errors: FormErrors) -> impl IntoView {
    view! {
        <HxForm action=paths::Contact.to_string()>
            <CsrfField token=csrf />
            <Field name="name" label="Your name" value=values.name error=errors.get("name")
                autocomplete="name" />
            <Field name="email" label="Your email" kind="email" value=values.email
                error=errors.get("email") autocomplete="email" />
            <TextArea name="message" label="Message" value=values.message
                error=errors.get("message") />
            // Hidden from people, filled in by form-spamming robots: see `routes::contact`.
            <div class="hidden" aria-hidden="true">
                <label for="field-website">"Leave this empty"</label>
                <input id="field-website" name="website" type="text" tabindex="-1" autocomplete="off" />
            </div>
            <button type="submit" class="btn btn-primary mt-4">"Send the message"</button>
        </HxForm>
    }
}
